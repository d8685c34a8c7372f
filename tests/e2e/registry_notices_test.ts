import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";
import { RegistryProcess, TerminalPeerProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("a lost registry is one line in the terminal, and its return one more with the time away", async () => {
  await using network = await TestNetwork.start();
  const address = network.registry.address;
  await using alice = await TerminalPeerProcess.start("alice", {
    registry: address,
    dataDir: `${network.dir}/alice`,
  });
  const bot = await network.peer("bot");
  await alice.waitForLine(/^\* bot joined$/);

  const lines = alice.lines.length;
  const events = bot.mark();
  network.registry.kill("SIGKILL");
  await network.registry.exited;
  // Long enough for half a dozen attempts at the default backoff (and more at the bot's).
  await sleep(5000);
  const outage = alice.lines.slice(lines);
  assert.equal(outage.length, 1, `one line while the registry is away:\n${outage.join("\n")}`);
  assert.match(
    outage[0],
    new RegExp(`^\\* registry ${address} lost \\(.+\\) — retrying in the background; chats`),
  );
  // --json: registry_lost once per outage, then one registry_retry per failed attempt.
  const json = bot.events.slice(events);
  assert.equal(json.filter((e) => e.event === "registry_lost").length, 1);
  const retries = json.flatMap((e) => e.event === "registry_retry" ? [e] : []);
  assert.ok(retries.length >= 3, `${retries.length} retries reported`);
  assert.deepEqual(retries.map((e) => e.attempts), retries.map((_, i) => i + 1));
  assert.equal(retries[0].registry, address);

  await using _second = await RegistryProcess.startAt(address);
  const back = await alice.waitForLine(/registered again/, lines, 20_000);
  assert.match(
    back,
    new RegExp(
      `^\\* registered again with ${address} after \\d+(\\.\\d)?s away \\(\\d+ attempts, reconnect 1\\)$`,
    ),
  );
  const again = await bot.waitFor("registered", { after: events });
  assert.equal(again.reconnects, 1);
  const failed = bot.events.slice(events).filter((e) => e.event === "registry_retry").length;
  assert.equal(again.attempts, failed + 1, "the failed attempts and the one that worked");
  assert.ok(again.awayMs! >= 5000, `away ${again.awayMs} ms`);
});

Deno.test("a peer that never reached its registry says it cannot reach it, and where", async () => {
  await using dir = await tempDir();
  // A port nobody listens on: bind one, note it, let it go.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${probe.addr.port}`;
  probe.close();
  await using alice = await TerminalPeerProcess.start("alice", {
    registry: address,
    dataDir: `${dir.path}/alice`,
    waitRegistered: false,
  });
  const line = await alice.waitForLine(/registry/);
  assert.match(line, new RegExp(`^\\* cannot reach the registry at ${address} \\(.+\\)`));
  await sleep(3000);
  const about = alice.lines.filter((l) => /registry/.test(l));
  assert.deepEqual(about, [line], "no more lines about it within the minute");
  assert.ok(!alice.lines.some((l) => /lost/.test(l)), "nothing was lost");
});
