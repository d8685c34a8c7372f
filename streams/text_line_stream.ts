/** Text split into lines. */

/**
 * Splits a stream of text into lines, without their `\n` or `\r\n`. A last
 * line without a newline is passed on when the text ends.
 */
export class TextLineStream extends TransformStream<string, string> {
  constructor() {
    let buffered = "";
    super({
      transform(chunk, controller) {
        buffered += chunk;
        let newline;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          controller.enqueue(buffered.slice(0, newline).replace(/\r$/, ""));
          buffered = buffered.slice(newline + 1);
        }
      },
      flush(controller) {
        if (buffered) controller.enqueue(buffered);
      },
    });
  }
}

/**
 * The lines of a byte stream of UTF-8 text (stdin, a child's output).
 * Reading them to the end, or breaking out of the loop, ends `bytes`.
 *
 * @example
 * ```ts
 * for await (const line of readLines(Deno.stdin.readable)) console.log(line.length);
 * ```
 */
export function readLines(bytes: ReadableStream<Uint8Array>): ReadableStream<string> {
  // TypeScript types a TextDecoderStream's input as `BufferSource`, which
  // since 5.9 excludes views of a SharedArrayBuffer and so refuses a plain
  // `ReadableStream<Uint8Array>`; the bytes it is given here are never shared.
  const decoder = new TextDecoderStream() as TransformStream<Uint8Array, string>;
  return bytes.pipeThrough(decoder).pipeThrough(new TextLineStream());
}
