import assert from "node:assert/strict";
import {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
} from "../../protocol/frame_codec.ts";
import { FrameStream, type FrameStreamOptions } from "../../protocol/frame_stream.ts";
import { decodeMessage } from "../../protocol/message_channel.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { parsePeerToRegistry } from "../../protocol/registry_messages.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function text(payload: Uint8Array | null): string | null {
  return payload === null ? null : decoder.decode(payload);
}

function frameOf(value: string): Uint8Array {
  return encodeFrame(encoder.encode(value));
}

function header(length: number): Uint8Array {
  const bytes = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(bytes.buffer).setUint32(0, length);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Asserts `error` is a ProtocolError with `code` and returns it for more checks. */
function isProtocolError(code: string, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

function closeQuietly(closable: { close(): void }): void {
  try {
    closable.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/**
 * A real loopback TCP connection: `raw` is the client's plain socket, and
 * `stream` a FrameStream on the accepted server side.
 */
async function loopback(options: FrameStreamOptions = {}) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [raw, accepted] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  raw.setNoDelay(true);
  const stream = new FrameStream(accepted, options);
  return {
    raw,
    stream,
    [Symbol.dispose]() {
      stream.close();
      closeQuietly(raw);
      closeQuietly(listener);
    },
  };
}

// ---- FrameDecoder ---------------------------------------------------------------

Deno.test("frame decoder rebuilds a frame delivered one byte at a time", () => {
  const frame = frameOf("héllo, wörld");
  const decoder = new FrameDecoder();
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < frame.length; i++) {
    const got = decoder.push(frame.subarray(i, i + 1));
    if (i < frame.length - 1) assert.equal(got.length, 0, `frame completed early at byte ${i}`);
    payloads.push(...got);
  }
  assert.deepEqual(payloads.map(text), ["héllo, wörld"]);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("frame decoder returns every frame of a chunk that merges several", () => {
  const decoder = new FrameDecoder();
  const chunk = concat(frameOf("one"), frameOf(""), frameOf("three"), frameOf("fo"));
  assert.deepEqual(decoder.push(chunk).map(text), ["one", "", "three", "fo"]);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("frame decoder handles a header split across chunks", () => {
  const decoder = new FrameDecoder();
  const frame = frameOf("split header");
  assert.deepEqual(decoder.push(frame.subarray(0, 1)), []);
  assert.deepEqual(decoder.push(frame.subarray(1, 3)), []);
  assert.equal(decoder.bufferedBytes, 3);
  assert.deepEqual(decoder.push(frame.subarray(3)).map(text), ["split header"]);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("frame decoder keeps the start of the next frame after completing one", () => {
  const decoder = new FrameDecoder();
  const both = concat(frameOf("first"), frameOf("second"));
  const cut = frameOf("first").length + 6;
  assert.deepEqual(decoder.push(both.subarray(0, cut)).map(text), ["first"]);
  assert.equal(decoder.bufferedBytes, 6);
  assert.deepEqual(decoder.push(both.subarray(cut)).map(text), ["second"]);
});

Deno.test("frame decoder yields an empty payload for a zero-length frame", () => {
  const decoder = new FrameDecoder();
  const empty = encodeFrame(new Uint8Array(0));
  assert.deepEqual([...empty], [0, 0, 0, 0]);
  const payloads = decoder.push(empty);
  assert.equal(payloads.length, 1);
  assert.equal(payloads[0].length, 0);
});

Deno.test("frame decoder accepts a frame of exactly the maximum size", () => {
  const max = 1000;
  const decoder = new FrameDecoder({ maxFrameBytes: max });
  const payload = new Uint8Array(max).fill(7);
  const [got] = decoder.push(encodeFrame(payload, max));
  assert.deepEqual(got, payload);
});

Deno.test("frame decoder refuses an oversized length before the body arrives", () => {
  const max = 1000;
  const decoder = new FrameDecoder({ maxFrameBytes: max });
  assert.throws(
    () => decoder.push(header(max + 1)),
    isProtocolError("frame_too_large", /^Frame too large: 1001 bytes exceeds the 1000-byte limit$/),
  );
  assert.ok(decoder.bufferedBytes <= FRAME_HEADER_BYTES, `buffered ${decoder.bufferedBytes}`);
});

Deno.test("frame decoder refuses an oversized length whose header came in pieces", () => {
  const decoder = new FrameDecoder({ maxFrameBytes: 1000 });
  const bytes = header(1001);
  assert.deepEqual(decoder.push(bytes.subarray(0, 2)), []);
  assert.throws(() => decoder.push(bytes.subarray(2)), isProtocolError("frame_too_large"));
  assert.ok(decoder.bufferedBytes <= FRAME_HEADER_BYTES, `buffered ${decoder.bufferedBytes}`);
});

Deno.test("frame decoder returns the frames before an oversized one, then refuses it", () => {
  const decoder = new FrameDecoder({ maxFrameBytes: 100 });
  const [ok] = decoder.push(concat(frameOf("ok"), header(101), new Uint8Array(10)));
  assert.equal(new TextDecoder().decode(ok), "ok");
  assert.equal(decoder.bufferedBytes, FRAME_HEADER_BYTES + 10, "only what arrived is kept");
  assert.throws(() => decoder.checkWaitingFrame(), isProtocolError("frame_too_large"));
  assert.throws(() => decoder.push(new Uint8Array(1)), isProtocolError("frame_too_large"));
});

Deno.test("frame decoder lets a held-back frame through once its limit is raised", () => {
  const decoder = new FrameDecoder({ maxFrameBytes: 100 });
  const big = new Uint8Array(500).fill(9);
  const [small] = decoder.push(concat(frameOf("hello"), encodeFrame(big)));
  assert.equal(new TextDecoder().decode(small), "hello");
  const [held] = decoder.raiseLimit(1000);
  assert.deepEqual(held, big);
  assert.equal(decoder.bufferedBytes, 0);
  assert.equal(decoder.maxFrameBytes, 1000);
  assert.deepEqual(decoder.raiseLimit(10), [], "a limit is never lowered");
  assert.equal(decoder.maxFrameBytes, 1000);
});

Deno.test("frame decoder refuses ASCII text such as an HTTP request as a huge length", () => {
  const decoder = new FrameDecoder();
  // "GET " read as a big-endian length is 1195725856 bytes.
  assert.throws(
    () => decoder.push(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
    isProtocolError("frame_too_large", /1195725856 bytes exceeds the 1048576-byte limit/),
  );
});

Deno.test("frame decoder buffers only what arrived of a frame that claims to be large", () => {
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(concat(header(DEFAULT_MAX_FRAME_BYTES), new Uint8Array(10))), []);
  assert.equal(decoder.bufferedBytes, FRAME_HEADER_BYTES + 10);
});

Deno.test("frame decoder never holds more than one incomplete frame whatever the chunking", () => {
  // A fixed pseudo-random sequence, so a failure can be replayed.
  let state = 12345;
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  const sent: string[] = [];
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    const value = `frame ${i} ` + "x".repeat(random(3000));
    sent.push(value);
    parts.push(frameOf(value));
  }
  const wire = concat(...parts);
  const decoder = new FrameDecoder({ maxFrameBytes: 4000 });
  const received: string[] = [];
  let offset = 0;
  while (offset < wire.length) {
    const size = 1 + random(5000);
    const chunk = wire.slice(offset, offset + size);
    offset += chunk.length;
    received.push(...decoder.push(chunk).map((p) => text(p)!));
    // Whatever stays buffered is the start of the one frame not yet complete.
    const next = parts[received.length];
    const limit = next ? next.length - 1 : 0;
    assert.ok(
      decoder.bufferedBytes <= limit,
      `buffered ${decoder.bufferedBytes} bytes, but the next frame has only ${limit + 1}`,
    );
  }
  assert.deepEqual(received, sent);
});

Deno.test("frame decoder returns payloads that do not change when the caller reuses its chunk", () => {
  const decoder = new FrameDecoder();
  const chunk = frameOf("stable");
  const [payload] = decoder.push(chunk);
  chunk.fill(0);
  assert.equal(text(payload), "stable");
});

Deno.test("encodeFrame refuses a payload over the limit and prefixes the length big-endian", () => {
  assert.throws(
    () => encodeFrame(new Uint8Array(11), 10),
    isProtocolError("frame_too_large", /11 bytes exceeds the 10-byte limit/),
  );
  assert.deepEqual([...encodeFrame(new Uint8Array(258).fill(1)).subarray(0, 4)], [0, 0, 1, 2]);
});

// ---- FrameStream over real TCP ---------------------------------------------------------

Deno.test("frame stream reads a frame written one byte at a time over TCP", async () => {
  // A 1-byte read buffer makes every read deliver one byte, whatever the kernel merges.
  using pair = await loopback({ readBufferBytes: 1 });
  const frame = frameOf("byte by byte ✓");
  const reading = pair.stream.readFrame();
  for (let i = 0; i < frame.length; i++) await writeAll(pair.raw, frame.subarray(i, i + 1));
  assert.equal(text(await reading), "byte by byte ✓");
  assert.equal(pair.stream.bytesRead, frame.length);
});

Deno.test("frame stream reads several frames sent in one TCP write", async () => {
  using pair = await loopback();
  await writeAll(pair.raw, concat(frameOf("a"), frameOf("bb"), frameOf("ccc")));
  assert.equal(text(await pair.stream.readFrame()), "a");
  assert.equal(text(await pair.stream.readFrame()), "bb");
  assert.equal(text(await pair.stream.readFrame()), "ccc");
});

Deno.test("frame stream reads a frame whose header is split across TCP writes", async () => {
  using pair = await loopback();
  const frame = frameOf("after a split header");
  const reading = pair.stream.readFrame();
  await writeAll(pair.raw, frame.subarray(0, 2));
  await writeAll(pair.raw, frame.subarray(2, 3));
  await writeAll(pair.raw, frame.subarray(3));
  assert.equal(text(await reading), "after a split header");
});

Deno.test("frame stream delivers a zero-length frame and the frame after it", async () => {
  using pair = await loopback();
  await writeAll(pair.raw, concat(encodeFrame(new Uint8Array(0)), frameOf("next")));
  const empty = await pair.stream.readFrame();
  assert.ok(empty !== null);
  assert.equal(empty.length, 0);
  assert.equal(text(await pair.stream.readFrame()), "next");
});

Deno.test("frame stream accepts a frame of exactly the 1 MiB default limit", async () => {
  using pair = await loopback();
  const payload = new Uint8Array(DEFAULT_MAX_FRAME_BYTES);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
  const [got] = await Promise.all([
    pair.stream.readFrame(),
    writeAll(pair.raw, encodeFrame(payload)),
  ]);
  assert.ok(got !== null);
  assert.equal(got.length, DEFAULT_MAX_FRAME_BYTES);
  assert.deepEqual(got, payload);
});

Deno.test("frame stream refuses an oversized frame as soon as its header arrives", async () => {
  using pair = await loopback({ maxFrameBytes: 1024 });
  // Only the header is ever sent, then the connection ends: a decoder that
  // waited for the body would report a truncated frame instead.
  await writeAll(pair.raw, header(1025));
  pair.raw.close();
  await assert.rejects(
    pair.stream.readFrame(),
    isProtocolError("frame_too_large", /1025 bytes exceeds the 1024-byte limit/),
  );
});

Deno.test("frame stream refuses a frame above its first limit without waiting for its bytes", async () => {
  using pair = await loopback({ maxFrameBytes: 1024 });
  // A valid frame, then the header of a big one whose body never comes.
  await writeAll(pair.raw, concat(frameOf("hello"), header(64 * 1024)));
  assert.equal(new TextDecoder().decode((await pair.stream.readFrame())!), "hello");
  await assert.rejects(
    pair.stream.readFrame(),
    isProtocolError("frame_too_large", /65536 bytes exceeds the 1024-byte limit/),
  );
});

Deno.test("frame stream delivers a big frame that came with the last small one once raised", async () => {
  using pair = await loopback({ maxFrameBytes: 1024 });
  const big = new Uint8Array(64 * 1024).fill(3);
  // Both in one write: the big frame is already buffered when the limit rises.
  await writeAll(pair.raw, concat(frameOf("confirm"), encodeFrame(big)));
  // The kernel may hand the bytes over in pieces; the first frame comes whole.
  const first = await pair.stream.readFrame();
  assert.equal(new TextDecoder().decode(first!), "confirm");
  pair.stream.raiseFrameLimit(DEFAULT_MAX_FRAME_BYTES);
  assert.equal(pair.stream.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES);
  assert.deepEqual(await pair.stream.readFrame(), big);
});

Deno.test("frame stream refuses an HTTP request sent to it", async () => {
  using pair = await loopback();
  await writeAll(pair.raw, encoder.encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  // An HTTP client then waits for a response; ending the connection here
  // makes a decoder that waited for the announced body fail instead of hang.
  pair.raw.close();
  await assert.rejects(pair.stream.readFrame(), isProtocolError("frame_too_large"));
});

Deno.test("frame stream reports a connection that ends in the middle of a frame", async () => {
  using pair = await loopback();
  await writeAll(pair.raw, concat(frameOf("whole"), header(10), encoder.encode("abc")));
  assert.equal(text(await pair.stream.readFrame()), "whole");
  pair.raw.close();
  await assert.rejects(
    pair.stream.readFrame(),
    isProtocolError("truncated_frame", /\(7 bytes of it received\)/),
  );
  assert.equal(pair.stream.closed, true);
});

Deno.test("frame stream reports a connection that ends inside a header", async () => {
  using pair = await loopback();
  await writeAll(pair.raw, header(10).subarray(0, 2));
  pair.raw.close();
  await assert.rejects(pair.stream.readFrame(), isProtocolError("truncated_frame"));
});

Deno.test("frame stream ends with null when the other side closes between frames", async () => {
  using pair = await loopback();
  await writeAll(pair.raw, frameOf("last"));
  pair.raw.close();
  assert.equal(text(await pair.stream.readFrame()), "last");
  assert.equal(await pair.stream.readFrame(), null);
  assert.equal(await pair.stream.readFrame(), null);
  assert.equal(pair.stream.closed, true);
});

Deno.test("frame stream ends a pending read with null when closed locally", async () => {
  using pair = await loopback();
  const reading = pair.stream.readFrame();
  pair.stream.close();
  assert.equal(await reading, null);
});

/** Collects what `deliverFrames` hands over; `stopAt` makes the sink return false on that frame. */
function collectingSink(stopAt?: string) {
  const frames: string[] = [];
  const ended = Promise.withResolvers<unknown>();
  return {
    frames,
    ended: ended.promise,
    frameArrived(payload: Uint8Array): boolean {
      frames.push(text(payload)!);
      return frames.at(-1) !== stopAt;
    },
    framesEnded: (error: unknown) => ended.resolve(error),
  };
}

Deno.test("frame stream delivers frames to a sink in order, after the ones already read", async () => {
  using pair = await loopback({ readBufferBytes: 3 });
  await writeAll(pair.raw, concat(frameOf("first"), frameOf("second")));
  assert.equal(text(await pair.stream.readFrame()), "first");
  const sink = collectingSink();
  pair.stream.deliverFrames(sink);
  await writeAll(pair.raw, concat(frameOf("third"), frameOf("fourth")));
  pair.raw.close();
  assert.equal(await sink.ended, null);
  assert.deepEqual(sink.frames, ["second", "third", "fourth"]);
  assert.equal(pair.stream.closed, true);
});

Deno.test("frame stream stops delivering when the sink says so and ends with null", async () => {
  using pair = await loopback();
  const sink = collectingSink("stop");
  pair.stream.deliverFrames(sink);
  await writeAll(pair.raw, concat(frameOf("go"), frameOf("stop"), frameOf("never")));
  assert.equal(await sink.ended, null);
  assert.deepEqual(sink.frames, ["go", "stop"]);
});

Deno.test("frame stream ends delivery with the sink's error or a truncated frame", async () => {
  using pair = await loopback();
  const failing = new Error("sink bug");
  const ended = Promise.withResolvers<unknown>();
  pair.stream.deliverFrames({
    frameArrived: () => {
      throw failing;
    },
    framesEnded: (error) => ended.resolve(error),
  });
  await writeAll(pair.raw, frameOf("boom"));
  assert.equal(await ended.promise, failing);

  using truncated = await loopback();
  const sink = collectingSink();
  truncated.stream.deliverFrames(sink);
  await writeAll(truncated.raw, concat(frameOf("whole"), header(10), encoder.encode("abc")));
  truncated.raw.close();
  assert.ok(isProtocolError("truncated_frame", /\(7 bytes of it received\)/)(await sink.ended));
  assert.deepEqual(sink.frames, ["whole"]);
});

Deno.test("frame streams on both ends carry many queued frames in order", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  const sender = new FrameStream(client);
  const receiver = new FrameStream(server);
  try {
    const sent = Array.from({ length: 500 }, (_, i) => `message ${i} ${"·".repeat(i % 37)}`);
    for (const value of sent) sender.writeFrame(frameOf(value));
    await sender.flushed();
    const received: string[] = [];
    for (let i = 0; i < sent.length; i++) received.push(text(await receiver.readFrame())!);
    assert.deepEqual(received, sent);
    assert.equal(sender.bytesWritten, receiver.bytesRead);
  } finally {
    sender.close();
    receiver.close();
    listener.close();
  }
});

// ---- decodeMessage ----------------------------------------------------------------------

Deno.test("decodeMessage refuses bytes that are not UTF-8", () => {
  assert.throws(
    () => decodeMessage(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), parsePeerToRegistry),
    isProtocolError("bad_utf8", /4 bytes is not valid UTF-8/),
  );
});

Deno.test("decodeMessage refuses text that is not JSON", () => {
  assert.throws(
    () => decodeMessage(encoder.encode('{"type":"hello",'), parsePeerToRegistry),
    isProtocolError("bad_json", /^Frame is not valid JSON: /),
  );
});

Deno.test("decodeMessage refuses a message type it does not know", () => {
  assert.throws(
    () => decodeMessage(encoder.encode('{"type":"teleport"}'), parsePeerToRegistry),
    isProtocolError("unknown_type", /"teleport"/),
  );
  // Inherited object properties are not message types either.
  assert.throws(
    () => decodeMessage(encoder.encode('{"type":"toString"}'), parsePeerToRegistry),
    isProtocolError("unknown_type"),
  );
});

Deno.test("decodeMessage names the field that is missing or of the wrong type", () => {
  assert.throws(
    () => decodeMessage(encoder.encode('{"type":"hello","client":"x"}'), parsePeerToRegistry),
    isProtocolError("invalid_message", /^Field "protocol" must be an integer .*got nothing$/),
  );
  assert.throws(
    () =>
      decodeMessage(
        encoder.encode('{"type":"hello","protocol":"1","client":"x"}'),
        parsePeerToRegistry,
      ),
    isProtocolError("invalid_message", /^Field "protocol" must be .*, got "1"$/),
  );
  assert.throws(
    () => decodeMessage(encoder.encode("[1,2]"), parsePeerToRegistry),
    isProtocolError("invalid_message", /must be a JSON object/),
  );
  assert.throws(
    () => decodeMessage(encoder.encode('{"type":7}'), parsePeerToRegistry),
    isProtocolError("invalid_message", /^Field "type" must be a string, got 7$/),
  );
});

Deno.test("decodeMessage returns a valid message", () => {
  const message = decodeMessage(
    encoder.encode('{"type":"heartbeat","seq":41}'),
    parsePeerToRegistry,
  );
  assert.deepEqual(message, { type: "heartbeat", seq: 41 });
});
