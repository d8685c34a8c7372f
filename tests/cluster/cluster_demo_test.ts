/** `p2pchat demo --cluster`, run from the bundle as a user would. */

import assert from "node:assert/strict";
import { waitAtMost } from "../../async/mod.ts";
import { readLines } from "../../streams/mod.ts";
import { bundlePath } from "../support/bundle.ts";

/** `p2pchat demo --cluster` on free ports. */
async function demo(env: Record<string, string> = {}): Promise<Deno.ChildProcess> {
  const args = ["--cluster", "--listen", "127.0.0.1:0", "--dashboard", "127.0.0.1:0"];
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", await bundlePath(), "demo", ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("the cluster demo starts Redis, three instances and chatting peers, and stops cleanly", async () => {
  const child = await demo();
  const lines: string[] = [];
  const reading = (async () => {
    for await (const line of readLines(child.stdout)) lines.push(line);
  })();
  const stderr = new Response(child.stderr).text();
  const chatted = async () => {
    while (!lines.some((l) => l.includes(" → "))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const ok = await waitAtMost(chatted(), 30_000);
  child.kill("SIGINT");
  const status = await child.status;
  await reading;
  const errors = await stderr;
  assert.ok(ok, `peers chatted:\n${lines.join("\n")}\n${errors}`);
  assert.equal(status.code, 0, errors);
  assert.equal(lines.at(-1), "demo stopped");
  const redisPort = Number(/^redis: +redis:\/\/127\.0\.0\.1:(\d+)/.exec(lines[0])?.[1]);
  for (const name of ["a", "b", "c"]) {
    assert.ok(
      lines.some((l) =>
        new RegExp(`^instance ${name}: +peers on 127\\.0\\.0\\.1:\\d+, dashboard http`).test(l)
      ),
    );
  }
  // Nothing it started is left running: Redis's port is free again.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: redisPort });
  assert.equal(listener.addr.port, redisPort);
});

Deno.test("without redis-server the cluster demo says how to get it, in one line", async () => {
  const child = await demo({ REDIS_SERVER: "/nonexistent/redis-server", PATH: "/nonexistent" });
  const output = await child.output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  assert.equal(output.code, 1);
  assert.match(
    stdout,
    /^The cluster demo runs its own Redis, but redis-server is not on PATH\. Install it/,
  );
  assert.equal(stdout.split("\n").length, 1);
});
