import assert from "node:assert/strict";
import { readLines, TextLineStream } from "../../streams/mod.ts";

function bytes(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((chunk) => encoder.encode(chunk)));
}

Deno.test("readLines() splits on \\n and \\r\\n, across chunks, and keeps a last line without one", async () => {
  const lines = await Array.fromAsync(readLines(bytes("one\ntw", "o\r\n\nthr", "ee")));
  assert.deepEqual(lines, ["one", "two", "", "three"]);
});

Deno.test("readLines() decodes a character split between chunks", async () => {
  const euro = new TextEncoder().encode("€\n"); // three bytes, then the newline
  const stream = ReadableStream.from([euro.subarray(0, 1), euro.subarray(1)]);
  assert.deepEqual(await Array.fromAsync(readLines(stream)), ["€"]);
});

Deno.test("TextLineStream gives nothing for empty text", async () => {
  const lines = ReadableStream.from<string>([]).pipeThrough(new TextLineStream());
  assert.deepEqual(await Array.fromAsync(lines), []);
});
