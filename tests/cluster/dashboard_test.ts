/**
 * A cluster instance's dashboard shows the whole cluster: the API, the page,
 * the metrics and the health check — and never the engine's password.
 */

import assert from "node:assert/strict";
import { createDashboardApp, hostChecker } from "../../dashboard/mod.ts";
import type { Registry } from "../../registry/mod.ts";
import { RedisServer } from "../support/redis_server.ts";
import { RegistryProcess } from "../support/processes.ts";
import { registeredPeer } from "../registry/registry_fixture.ts";
import { startInstance } from "./cluster_fixture.ts";

const TOKEN = "a-test-token-of-32-characters-xx";

function dashboardOf(registry: Registry) {
  const app = createDashboardApp({
    view: registry,
    adminToken: TOKEN,
    isAllowedHost: hostChecker("127.0.0.1", 7080),
  });
  return (path: string, init: RequestInit = {}) =>
    app.request(path, { ...init, headers: { host: "127.0.0.1:7080", ...init.headers } });
}

Deno.test("every instance's dashboard lists the whole cluster, with instances and the engine", async () => {
  await using redis = await RedisServer.start();
  await using a = await startInstance(redis, "a");
  await using b = await startInstance(redis, "b");
  await using alice = await registeredPeer(a, "alice");
  await using bob = await registeredPeer(b, "bob");
  await alice.waitForPeers((peers) => peers.has(bob.identity.id));
  const onA = dashboardOf(a);
  // Counts travel with each instance's next liveness tick.
  let cluster = await (await onA("/api/cluster")).json();
  for (let i = 0; i < 100 && cluster.instances.some((i: { peers: number }) => i.peers !== 1); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    cluster = await (await onA("/api/cluster")).json();
  }
  assert.equal(cluster.engine.status, "up");
  assert.deepEqual(
    cluster.instances.map((i: Record<string, unknown>) => [i.name, i.address, i.peers, i.healthy]),
    [["a", a.info().listen, 1, true], ["b", b.info().listen, 1, true]],
  );
  for (const instance of cluster.instances) {
    assert.ok(instance.lastSeenMs >= 0 && instance.lastSeenMs < 2000, `${instance.lastSeenMs}`);
  }
  const peers = (await (await onA("/api/peers")).json()).peers;
  assert.deepEqual(
    peers.map((p: Record<string, string>) => [p.name, p.instance]).sort(),
    [["alice", "a"], ["bob", "b"]],
  );

  const metrics = await (await onA("/metrics")).text();
  assert.match(metrics, /^p2pchat_cluster_engine_up 1$/m);
  assert.match(metrics, /^p2pchat_cluster_instances\{healthy="true"\} 2$/m);
  assert.match(metrics, /^p2pchat_peers_online 2$/m);

  const health = await onA("/healthz");
  assert.equal(health.status, 200);
  const body = await health.json();
  assert.equal(body.status, "ok");
  assert.deepEqual(body.cluster, { instance: "a", engine: { status: "up" } });

  const page = await (await onA("/")).text();
  assert.match(page, /<th[^>]*data-sort="instance"[^>]*>.*Instance/);
  assert.match(page, /<td class="instance">b<\/td>/);
  assert.match(page, /id="engine"[^>]*data-state="up"/);
  assert.match(page, /<tr[^>]*data-name="b"[^>]*data-healthy="true"/);

  // Kicked from a's dashboard, though registered on b.
  const kick = await onA(`/api/peers/${bob.identity.id}/kick`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(kick.status, 200);
  assert.equal((await bob.next("bye")).reason, "kicked");
});

Deno.test("a single registry's dashboard has no cluster parts", async () => {
  const { startRegistry } = await import("../registry/registry_fixture.ts");
  await using registry = await startRegistry();
  const get = dashboardOf(registry);
  assert.equal((await get("/api/cluster")).status, 404);
  const metrics = await (await get("/metrics")).text();
  assert.doesNotMatch(metrics, /p2pchat_cluster_/);
  const page = await (await get("/")).text();
  assert.doesNotMatch(page, /Instance|id="engine"/);
  assert.equal((await (await get("/healthz")).json()).cluster, undefined);
});

Deno.test("the engine's password appears nowhere a registry prints or serves", async () => {
  const password = "s3cret-redis-pass";
  await using redis = await RedisServer.start({ password });
  await using registry = await RegistryProcess.start([
    "--cluster",
    redis.url,
    "--instance",
    "a",
    "--log-format",
    "json",
  ]);
  const printed = registry.lines.find((line) => line.startsWith("cluster "));
  assert.match(printed ?? "", /^cluster redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: instance a/);
  const served = await Promise.all(
    ["/", "/api/cluster", "/api/stats", "/api/peers", "/metrics", "/healthz"].map(async (path) =>
      await (await fetch(new URL(path, registry.dashboardUrl))).text()
    ),
  );
  await redis.kill(); // and nothing while it is gone, either
  await new Promise((resolve) => setTimeout(resolve, 600));
  const whileDown = await (await fetch(new URL("/api/cluster", registry.dashboardUrl))).text();
  assert.match(whileDown, /"status":"down"/);
  for (const text of [...registry.lines, registry.stderr, ...served, whileDown]) {
    assert.ok(!text.includes(password), `the password leaked: ${text.slice(0, 200)}`);
  }
});

Deno.test("a wrong engine password stops the registry at start with one clear line", async () => {
  await using redis = await RedisServer.start({ password: "right-password" });
  const url = redis.url.replace("right-password", "wrong-password");
  await assert.rejects(
    RegistryProcess.start(["--cluster", url, "--instance", "a"]),
    (error: Error) => {
      assert.match(error.message, /cluster engine at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
      assert.doesNotMatch(error.message, /wrong-password/);
      return true;
    },
  );
});
