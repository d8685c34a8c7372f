import assert from "node:assert/strict";
import { DEMO_TIMING, type DemoTiming, runDemo } from "../../demo/mod.ts";
import { silentLogger } from "../../log/mod.ts";
import { waitUntil } from "../support/wait.ts";

/** The dashboard calls a heartbeat late beyond this many intervals (dashboard/assets/format.ts). */
const LATE_AFTER_BEATS = 1.5;

Deno.test("the demo's timing shows a late heartbeat for seconds, then an eviction, then a return", () => {
  const { heartbeatMs, evictAfter, silentMs, flakeEveryMs } = DEMO_TIMING;
  const lateForMs = (evictAfter - LATE_AFTER_BEATS) * heartbeatMs;
  assert.ok(lateForMs >= 3000, `late for ${lateForMs} ms`);
  const evictedAtMs = (evictAfter + 0.25) * heartbeatMs;
  assert.ok(silentMs >= evictedAtMs + 2000, "evicted for a while before the network is back");
  assert.ok(flakeEveryMs - silentMs >= 5000, "and back for a while before the next silence");
});

Deno.test("the demo's flaky peer goes silent, is marked late, is evicted and comes back", async () => {
  const timing: DemoTiming = {
    heartbeatMs: 200,
    evictAfter: 6,
    flakeEveryMs: 4000,
    silentMs: 2500,
    chatEveryMs: 100_000,
  };
  const lines: string[] = [];
  const stop = new AbortController();
  const demo = runDemo({
    registry: { hostname: "127.0.0.1", port: 0 },
    dashboard: { hostname: "127.0.0.1", port: 0 },
    print: (line) => lines.push(line),
    logger: silentLogger,
    signal: stop.signal,
    timing,
  });
  try {
    const url = await waitUntil(
      () => lines.map((l) => /^dashboard:\s+(\S+)$/.exec(l)?.[1]).find(Boolean),
      "the dashboard's address",
    );
    const api = async (path: string) => await (await fetch(new URL(path, url))).json();
    type Row = { name: string; heartbeatAgeMs: number; reconnects: number };
    await waitUntil(async () => (await api("/api/peers")).peers.length === 3, "three peers");

    // Watch linus through the dashboard until it is back after an eviction.
    let lateForMs = 0;
    let lateStart: number | undefined;
    await waitUntil(
      async () => {
        const [{ peers }, stats] = await Promise.all([api("/api/peers"), api("/api/stats")]);
        const linus = (peers as Row[]).find((p) => p.name === "linus");
        const late = linus !== undefined &&
          linus.heartbeatAgeMs > LATE_AFTER_BEATS * timing.heartbeatMs;
        const now = performance.now();
        if (late && lateStart === undefined) lateStart = now;
        if (!late && lateStart !== undefined) {
          lateForMs = Math.max(lateForMs, now - lateStart);
          lateStart = undefined;
        }
        return stats.evictions >= 1 && linus !== undefined && linus.reconnects >= 1;
      },
      "linus to be evicted and to come back",
      15_000,
    );

    const stats = await api("/api/stats");
    assert.equal(stats.evictions, 1, "evicted, not merely lost");
    assert.equal(stats.leaves.timeout, 1, "the eviction is its only departure");
    // Late from 1.5 beats of silence until the eviction at 6: most of 4.5 beats.
    assert.ok(
      lateForMs >= (timing.evictAfter - LATE_AFTER_BEATS - 1.5) * timing.heartbeatMs,
      `late for ${Math.round(lateForMs)} ms`,
    );
    assert.ok(lines.some((l) => /^~ linus's network goes silent/.test(l)), lines.join("\n"));
    assert.ok(
      lines.some((l) => /^linus registered again \(reconnect 1\)$/.test(l)),
      lines.join("\n"),
    );
  } finally {
    stop.abort();
    await demo;
  }
});
