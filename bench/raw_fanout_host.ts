/**
 * Baseline for peer-list fan-out: a bare TCP server in its own process that
 * writes one frame to every connected socket when told to, and reports when
 * it started writing. No protocol, no JSON: the floor for "tell N peers".
 *
 * stdin: "go <bytes>" → stdout: {"sentAt": wall-clock ms}
 */

import { readLines } from "../streams/mod.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const conns: Deno.Conn[] = [];
const encoder = new TextEncoder();
const say = (value: unknown) => Deno.stdout.writeSync(encoder.encode(JSON.stringify(value) + "\n"));
say({ listening: `127.0.0.1:${listener.addr.port}` });

(async () => {
  for await (const conn of listener) {
    conn.setNoDelay(true);
    conns.push(conn);
  }
})();

for await (const line of readLines(Deno.stdin.readable)) {
  const [command, size] = line.trim().split(" ");
  if (command === "count") say({ connections: conns.length });
  if (command === "go") {
    const frame = new Uint8Array(4 + Number(size));
    new DataView(frame.buffer).setUint32(0, Number(size));
    frame.fill(0x61, 4);
    const sentAt = performance.timeOrigin + performance.now();
    await Promise.all(conns.map((conn) => conn.write(frame)));
    say({ sentAt });
  }
  if (command === "quit") Deno.exit(0);
}
