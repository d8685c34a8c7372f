import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";
import { parseHostPort } from "../../protocol/mod.ts";

/** Opens a connection, writes `bytes`, and returns everything read until close. */
async function poke(address: string, bytes: Uint8Array): Promise<Uint8Array> {
  using conn = await Deno.connect(parseHostPort(address));
  await conn.write(bytes);
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  while (true) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  const all = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** The JSON of the first frame in `bytes`. */
function firstFrame(bytes: Uint8Array): { type: string; code: string; message: string } {
  assert.ok(bytes.length >= 4, "an error frame came back before the close");
  const length = new DataView(bytes.buffer).getUint32(0);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
}

const encoder = new TextEncoder();
const frame = (json: string) => {
  const payload = encoder.encode(json);
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
};

Deno.test("garbage sent to the registry and to a peer gets an error frame; chat goes on", async () => {
  await using network = await TestNetwork.start();
  const { registry } = network;
  const alice = await network.peer("alice");
  const bob = await network.peer("bob");

  const cases = (hello: string): [string, Uint8Array, string][] => [
    ["an HTTP request", encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "frame_too_large"],
    [
      "an oversized length prefix",
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]),
      "frame_too_large",
    ],
    ["invalid JSON", frame("{not json"), "bad_json"],
    [
      "invalid UTF-8",
      (() => {
        const f = frame("xx");
        f.set([0xc3, 0x28], 4);
        return f;
      })(),
      "bad_utf8",
    ],
    ["an unknown message type", frame('{"type":"launch_missiles"}'), "unknown_type"],
    ["a hello without a version", frame(`{"type":"${hello}"}`), "invalid_message"],
  ];
  const targets = [
    { address: registry.address, hello: "hello" },
    { address: alice.listen.replace("0.0.0.0", "127.0.0.1"), hello: "link_hello" },
  ];
  for (const target of targets) {
    for (const [what, bytes, code] of cases(target.hello)) {
      const answer = firstFrame(await poke(target.address, bytes));
      assert.equal(answer.type, "error", `${what} → error frame`);
      assert.equal(answer.code, code, `${what} → ${code}`);
    }
  }

  // Both processes are still serving everyone else.
  await alice.command({ cmd: "send", to: "bob", text: "still fine?" });
  const message = await bob.waitFor("message", { test: (e) => e.text === "still fine?" });
  await alice.waitFor("delivered", { test: (e) => e.id === message.id });
  const carol = await network.peer("carol");
  await alice.waitFor("peer_joined", { test: (e) => e.peer.id === carol.id });
});
