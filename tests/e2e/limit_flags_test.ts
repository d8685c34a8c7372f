/**
 * Every limit against abuse is a registry flag, and what the flags say is
 * what the running registry reports: on its dashboard page and in
 * `/metrics` (docs/SECURITY.md, "Limits against bad input").
 */

import assert from "node:assert/strict";
import { metricValue, parseMetrics } from "../dashboard/dashboard_fixture.ts";
import { RegistryProcess } from "../support/processes.ts";

/** Flag, value, `p2pchat_limit` name and value, and the dashboard's words for it. */
const LIMITS: [string, string, string, number, string][] = [
  ["--max-frame-bytes", "2048", "maxFrameBytes", 2048, "2048 bytes"],
  ["--max-frames-per-second", "40", "maxFramesPerSecond", 40, "40/s (burst 80)"],
  ["--max-bytes-per-second", "4096", "maxBytesPerSecond", 4096, "4096/s (burst 16384)"],
  ["--register-timeout-ms", "5000", "registerTimeoutMs", 5000, "5000 ms"],
  ["--registrations-per-minute", "300", "registrationsPerMinutePerIp", 300, "300/min"],
  ["--max-unregistered-per-ip", "100", "maxUnregisteredPerIp", 100, "100 per IP, 500 in all"],
  ["--max-unregistered", "500", "maxUnregistered", 500, "100 per IP, 500 in all"],
  ["--max-peers-per-network", "128", "maxPeersPerNetwork", 128, "128 per /16 (IPv4), /48 (IPv6)"],
  ["--network-prefixes", "16/48", "ipv4NetworkPrefix", 16, "128 per /16 (IPv4), /48 (IPv6)"],
  ["--snapshot-interval-ms", "20000", "snapshotIntervalMs", 20_000, "1 per peer per 20000 ms"],
  [
    "--snapshot-bytes-per-minute",
    "1048576",
    "snapshotBytesPerMinutePerIp",
    1_048_576,
    "1048576/min",
  ],
  ["--max-peers", "1000", "maxPeers", 1000, "1000"],
  ["--relay-max", "10", "relayMaxCircuits", 10, "10, closed after 60000 ms idle"],
  ["--relay-idle-ms", "60000", "relayIdleMs", 60_000, "10, closed after 60000 ms idle"],
  ["--relay-kbps", "256", "relayKbps", 256, "256 kbps per circuit and direction"],
];

Deno.test("every registry limit is a flag, shown on the dashboard and exported in /metrics", async (t) => {
  await using registry = await RegistryProcess.start(
    LIMITS.flatMap(([flag, value]) => [flag, value]),
  );
  const get = async (path: string) =>
    await (await fetch(new URL(path, registry.dashboardUrl))).text();
  const metrics = parseMetrics(await get("/metrics"));
  const page = await get("/");
  const limits = /<details class="limits"[\s\S]*?<\/details>/.exec(page)?.[0] ?? "";
  assert.ok(limits, "the page has its limits section");
  for (const [flag, value, name, reported, shown] of LIMITS) {
    await t.step(`${flag} ${value}`, () => {
      assert.equal(metricValue(metrics, "p2pchat_limit", { name }), reported);
      assert.ok(limits.includes(`<dd>${shown}</dd>`), `the dashboard shows ${shown}:\n${limits}`);
    });
  }
  assert.equal(metricValue(metrics, "p2pchat_limit", { name: "ipv6NetworkPrefix" }), 48);
  const exported = [...metrics.get("p2pchat_limit")!.samples].length;
  assert.equal(exported, LIMITS.length + 1, "one p2pchat_limit sample per limit, no more");
});
