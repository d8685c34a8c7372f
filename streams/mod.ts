/**
 * Byte and text streams, written once: {@linkcode readLines} turns a byte
 * stream (stdin, a child process's output) into lines through a
 * `TextDecoderStream` and a {@linkcode TextLineStream}. `cli/` reads the
 * `--json` commands on stdin with it, the tests and benchmarks the output of
 * the processes they start.
 *
 * Like `async/`, it imports nothing and stands below every other part. It
 * mirrors Deno std's `streams/` (`TextLineStream`), which jsr.io would
 * provide if it could be reached.
 *
 * @module
 */

export { readLines, TextLineStream } from "./text_line_stream.ts";
