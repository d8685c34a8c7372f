/**
 * The cluster engine (Redis) going away and coming back empty, with real
 * registry and peer processes.
 */

import assert from "node:assert/strict";
import type { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { TestCluster } from "../support/cluster.ts";
import { knownPeers, sameNames, waitUntil, waitUntilAsync } from "../support/wait.ts";

async function getJson(registry: RegistryProcess, path: string) {
  const response = await fetch(new URL(path, registry.dashboardUrl));
  return { status: response.status, body: await response.json() };
}

async function metric(registry: RegistryProcess, name: string): Promise<string | undefined> {
  const text = await (await fetch(new URL("/metrics", registry.dashboardUrl))).text();
  return text.split("\n").find((line) =>
    line.startsWith(`${name} `) || line.startsWith(`${name}{`)
  );
}

async function converged(online: PeerProcess[], timeoutMs = 15_000): Promise<void> {
  await waitUntil(
    () =>
      online.every((peer) =>
        sameNames(knownPeers(peer), online.filter((p) => p !== peer).map((p) => p.name).sort())
      ),
    `every list to be ${online.map((p) => p.name).join(", ")}: ` +
      online.map((p) => `${p.name} knows ${knownPeers(p).join(",")}`).join("; "),
    timeoutMs,
  );
}

Deno.test({
  name: "Redis down: instances keep serving and say so; back empty: the cluster forms again",
  async fn() {
    await using cluster = await TestCluster.start(["a", "b"]);
    const a = cluster.instance("a");
    const b = cluster.instance("b");
    const alice = await cluster.peer("alice", { registry: `${a.address},${b.address}` });
    const bob = await cluster.peer("bob", { registry: `${b.address},${a.address}` });
    const carol = await cluster.peer("carol", { registry: a.address });
    await converged([alice, bob, carol]);
    const before = (await getJson(a, "/api/cluster")).body;
    assert.equal(before.engine.status, "up");
    assert.deepEqual(before.instances.map((i: { name: string }) => i.name), ["a", "b"]);
    assert.equal(await metric(a, "p2pchat_cluster_engine_up"), "p2pchat_cluster_engine_up 1");
    const marks = new Map([alice, bob, carol].map((peer) => [peer, peer.mark()]));

    await cluster.redis.kill();
    for (const instance of [a, b]) {
      await waitUntilAsync(
        async () => (await getJson(instance, "/healthz")).status === 503,
        "the health check to report the engine down",
      );
      const health = await getJson(instance, "/healthz");
      assert.equal(health.status, 503);
      assert.equal(health.body.status, "degraded");
      assert.equal(health.body.cluster.engine.status, "down");
      assert.equal((await getJson(instance, "/api/cluster")).body.engine.status, "down");
      assert.equal(
        await metric(instance, "p2pchat_cluster_engine_up"),
        "p2pchat_cluster_engine_up 0",
      );
    }
    // Chats go on, and the peers held are still served.
    await alice.command({ cmd: "send", to: "bob", text: "redis is gone" });
    await bob.waitFor("message", { test: (e) => e.text === "redis is gone" });
    // A newcomer is refused with a clear reason, and keeps trying.
    const newbie = await cluster.peer("newbie", { registry: a.address, waitRegistered: false });
    const refusal = await newbie.waitFor("error");
    assert.match(refusal.message, /cluster engine \(Redis\) is unreachable/);
    // Someone leaves while nobody can write it down.
    assert.equal(await carol.quit(), 0);

    await cluster.redis.restart(); // empty: no persistence
    await newbie.waitFor("registered", { timeoutMs: 20_000 });
    await converged([alice, bob, newbie], 20_000);
    const after = (await getJson(b, "/api/cluster")).body;
    assert.equal(after.engine.status, "up");
    assert.notEqual(after.list.epoch, before.list.epoch, "the list formed again in a new epoch");
    assert.equal((await getJson(a, "/healthz")).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const peer of [alice, bob]) {
      const news = peer.events.slice(marks.get(peer)).flatMap((event) =>
        event.event === "peer_left"
          ? [`${event.peer.name} left`]
          : event.event === "peer_joined"
          ? [`${event.peer.name} joined`]
          : []
      );
      assert.deepEqual(news.sort(), ["carol left", "newbie joined"], `${peer.name}'s news`);
    }
  },
});
