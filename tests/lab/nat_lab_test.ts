/**
 * The NAT lab does what it claims: these tests dial through it with a probe
 * and look at what each side observes (and at the wire), so that tests built
 * on the lab can trust it.
 */

import assert from "node:assert/strict";
import { LAB_PREFIX, NatLab, removeLeftovers } from "../support/nat_lab.ts";
import { dialFrom, observeOn } from "../support/lab_probe.ts";
import { ip, listNetns, skipNetnsTests } from "../support/netns.ts";

const ignore = await skipNetnsTests();

/** A source port for `--local-port`, away from the ephemeral range other sockets use. */
function someLocalPort(): number {
  return 20_000 + Math.floor(Math.random() * 10_000);
}

Deno.test({
  name: "a private host reaches the public side, which sees the NAT's address, not the host's",
  ignore,
  async fn() {
    await using lab = await NatLab.start();
    await observeOn(lab, lab.public, [9000]);
    for (const host of lab.private) {
      const [result] = await dialFrom(lab, host, [`${lab.public.address}:9000`]);
      assert.ok(
        "seen" in result,
        `${host.name} could not reach the public side: ${JSON.stringify(result)}`,
      );
      assert.equal(result.seen.hostname, host.nat.address);
      assert.notEqual(result.seen.hostname, host.address);
    }
  },
});

Deno.test({
  name: "unsolicited inbound to a private host is dropped silently, even with a route to it",
  ignore,
  async fn() {
    await using lab = await NatLab.start();
    const [a] = lab.private;
    await observeOn(lab, a, [9100]);
    // Control: the listener is there (a reaches itself).
    const [local] = await dialFrom(lab, a, [`${a.address}:9100`]);
    assert.ok("seen" in local, `a cannot reach its own listener: ${JSON.stringify(local)}`);

    // A route to the private network, as an attacker next to the router might add.
    await ip(["-n", lab.public.netns, "route", "add", "10.0.1.0/24", "via", a.nat.address]);
    await using capture = await lab.capture("tcp port 9100");
    const results = await dialFrom(
      lab,
      lab.public,
      [`${a.nat.address}:9100`, `${a.address}:9100`],
      { timeoutMs: 1000 },
    );
    // "timeout", not ECONNREFUSED: dropped without an answer, as home routers do.
    assert.deepEqual(results.map((r) => "error" in r ? r.error : "connected"), [
      "timeout",
      "timeout",
    ]);
    const { packets } = await capture.stop();
    const syn = (to: string) => packets.some((p) => p.includes(`> ${to}.9100: Flags [S]`));
    assert.ok(syn(a.nat.address), `no SYN to the NAT on the wire:\n${packets.join("\n")}`);
    assert.ok(syn(a.address), `no SYN to the private host on the wire:\n${packets.join("\n")}`);
    const answers = packets.filter((p) =>
      p.includes(`${a.nat.address}.9100 >`) || p.includes(`${a.address}.9100 >`)
    );
    assert.deepEqual(answers, [], "the NAT answered an unsolicited SYN");
  },
});

Deno.test({
  name: "a port-preserving NAT keeps the private source port, for every destination",
  ignore,
  async fn() {
    await using lab = await NatLab.start({ nats: ["port-preserving", "port-preserving"] });
    const [a] = lab.private;
    await observeOn(lab, lab.public, [9201, 9202, 9203]);
    const localPort = someLocalPort();
    const results = await dialFrom(
      lab,
      a,
      [9201, 9202, 9203].map((port) => `${lab.public.address}:${port}`),
      { localPort },
    );
    for (const result of results) {
      assert.ok("seen" in result, JSON.stringify(result));
      assert.deepEqual(result.seen, { hostname: a.nat.address, port: localPort });
    }
  },
});

Deno.test({
  name: "a symmetric NAT gives each destination its own public port",
  ignore,
  async fn() {
    await using lab = await NatLab.start({ nats: ["symmetric", "port-preserving"] });
    const [a, b] = lab.private;
    assert.equal(a.nat.mode, "symmetric");
    await observeOn(lab, lab.public, [9301, 9302, 9303]);
    const targets = [9301, 9302, 9303].map((port) => `${lab.public.address}:${port}`);
    const localPort = someLocalPort();
    const seen = (await dialFrom(lab, a, targets, { localPort })).map((result) => {
      assert.ok("seen" in result, JSON.stringify(result));
      assert.equal(result.seen.hostname, a.nat.address);
      return result.seen.port;
    });
    assert.equal(new Set(seen).size, targets.length, `ports seen: ${seen.join(", ")}`);
    // The other router of the same lab still preserves ports.
    const [fromB] = await dialFrom(lab, b, [targets[0]], { localPort });
    assert.ok("seen" in fromB, JSON.stringify(fromB));
    assert.equal(fromB.seen.port, localPort);
  },
});

Deno.test({
  name: "the lab removes its namespaces on dispose, and leftovers of a dead run on start",
  ignore,
  async fn() {
    const lab = await NatLab.start({ lanHosts: 1 });
    const ours = (await listNetns()).filter((n) => n.startsWith(lab.public.netns.slice(0, -3)));
    assert.equal(ours.length, 6, `namespaces: ${ours.join(", ")}`); // pub, 2 × (nat, host), lan1
    await lab[Symbol.asyncDispose]();
    const after = await listNetns();
    assert.deepEqual(ours.filter((n) => after.includes(n)), []);

    // A crashed run: its PID is gone, its namespace is not.
    const gone = await new Deno.Command("true").spawn();
    await gone.status;
    const stale = `${LAB_PREFIX}${gone.pid}-dead00-pub`;
    const live = `${LAB_PREFIX}${Deno.pid}-alive0-pub`;
    await ip(["netns", "add", stale]);
    await ip(["netns", "add", live]);
    try {
      const removed = await removeLeftovers();
      assert.ok(removed.includes(stale), `not removed: ${stale}`);
      assert.ok(!removed.includes(live), "removed a live run's namespace");
      const now = await listNetns();
      assert.ok(!now.includes(stale) && now.includes(live));
    } finally {
      await ip(["netns", "del", live]).catch(() => {});
      await ip(["netns", "del", stale]).catch(() => {});
    }
  },
});
