import assert from "node:assert/strict";
import { APP_VERSION, PROTOCOL_VERSION } from "../../protocol/mod.ts";
import { metricValue, parseMetrics, playScenario, startDashboard } from "./dashboard_fixture.ts";

Deno.test("GET /metrics serves Prometheus text whose values match what happened", async () => {
  await using dashboard = await startDashboard();
  await using scenario = await playScenario(dashboard.registry);

  const res = await dashboard.request("/metrics");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const metrics = parseMetrics(await res.text());

  assert.equal(metricValue(metrics, "p2pchat_peers_online"), 2);
  assert.equal(metricValue(metrics, "p2pchat_connections_open"), 2);
  assert.equal(metricValue(metrics, "p2pchat_connections_accepted_total"), 5);
  assert.equal(metricValue(metrics, "p2pchat_registrations_total"), 4);
  assert.equal(metricValue(metrics, "p2pchat_registrations_refused_total"), 0);
  assert.equal(
    metricValue(metrics, "p2pchat_peer_reconnects_total"),
    1,
    "bob reported 2 reconnects",
  );
  assert.equal(metricValue(metrics, "p2pchat_evictions_total"), 1, "dave went silent");
  assert.equal(metricValue(metrics, "p2pchat_heartbeats_total"), scenario.heartbeats);
  assert.equal(metricValue(metrics, "p2pchat_frames_rejected_total"), 1, "the garbage connection");
  assert.equal(
    metricValue(metrics, "p2pchat_leaves_total", { reason: "bye" }),
    1,
    "carol said bye",
  );
  assert.equal(metricValue(metrics, "p2pchat_leaves_total", { reason: "timeout" }), 1);
  assert.equal(metricValue(metrics, "p2pchat_leaves_total", { reason: "kicked" }), 0);
  assert.equal(metricValue(metrics, "p2pchat_snapshots_sent_total"), 4);
  assert.equal(
    metricValue(metrics, "p2pchat_info", {
      version: APP_VERSION,
      protocol: String(PROTOCOL_VERSION),
      epoch: dashboard.registry.info().epoch,
    }),
    1,
  );
  assert.equal(metricValue(metrics, "p2pchat_limit", { name: "maxFrameBytes" }), 4096);
  assert.equal(metricValue(metrics, "p2pchat_limit", { name: "snapshotIntervalMs" }), 30_000);
  assert.equal(metricValue(metrics, "p2pchat_limit", { name: "ipv4NetworkPrefix" }), 24);
  assert.equal(metricValue(metrics, "p2pchat_accept_failures_total"), 0);
  const uptime = metricValue(metrics, "p2pchat_uptime_seconds");
  assert.ok(uptime >= 0 && uptime <= (Date.now() - dashboard.registry.info().startedAt) / 1000);
});

Deno.test("every p2pchat metric has help text, a type, and counters end in _total", async () => {
  await using dashboard = await startDashboard();
  const res = await dashboard.request("/metrics");
  const metrics = parseMetrics(await res.text());

  assert.ok(metrics.size >= 10, `only ${metrics.size} metrics`);
  for (const [name, family] of metrics) {
    assert.match(name, /^p2pchat_/);
    assert.ok(family.help.length > 0, `${name} has help text`);
    assert.ok(family.samples.length > 0, `${name} has a sample`);
    if (family.type === "counter") assert.match(name, /_total$/, `counter ${name}`);
  }
  assert.equal(metrics.get("p2pchat_peers_online")?.type, "gauge");
  assert.equal(metrics.get("p2pchat_registrations_total")?.type, "counter");
  assert.equal(metrics.get("p2pchat_heartbeats_total")?.type, "counter");
  assert.deepEqual(
    metrics.get("p2pchat_leaves_total")?.samples.map((s) => s.labels.reason).sort(),
    ["bye", "kicked", "timeout"],
  );
});

Deno.test("the metrics parser used here refuses what Prometheus would refuse", () => {
  assert.throws(() => parseMetrics("p2pchat_x 1\n"), /before its HELP and TYPE/);
  assert.throws(
    () => parseMetrics("# HELP p2pchat_x x\n# TYPE p2pchat_x gauge\np2pchat_x{a=1} 1\n"),
    /Bad label set/,
  );
  assert.throws(() => parseMetrics("# HELP p2pchat_x x\n# TYPE p2pchat_x gauge\np2pchat_x one\n"));
  const ok = parseMetrics('# HELP m x\n# TYPE m gauge\nm{a="q\\"uote",b="x"} 2\n');
  assert.deepEqual(ok.get("m")?.samples, [{ labels: { a: 'q"uote', b: "x" }, value: 2 }]);
});
