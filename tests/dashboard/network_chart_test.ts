import assert from "node:assert/strict";
import { networkChart } from "../../dashboard/network_chart.ts";
import type { NetworkSample } from "../../dashboard/network_history.ts";
import { keepAlive } from "../../sim/mod.ts";
import { registeredPeer, startDashboard } from "./dashboard_fixture.ts";

const MINUTE = 60_000;

function sample(at: number, fields: Partial<NetworkSample>): NetworkSample {
  return { at, online: 0, heartbeats: 0, joins: 0, leaves: 0, evictions: 0, ...fields };
}

Deno.test("the chart draws what the samples say: steps, rates, bars and a summary", () => {
  const now = 10 * MINUTE;
  const samples = [
    sample(0, {}),
    sample(2 * MINUTE, { online: 2, joins: 2, heartbeats: 0 }),
    sample(4 * MINUTE, { online: 3, joins: 3, heartbeats: 240 }),
    sample(9 * MINUTE, { online: 1, joins: 3, leaves: 1, evictions: 1, heartbeats: 540 }),
    sample(now, { online: 1, joins: 3, leaves: 1, evictions: 1, heartbeats: 600 }),
  ];
  const { paths, texts } = networkChart(samples, now, 10 * MINUTE);
  assert.equal(texts["chart-online-title"], "Peers online: 1 (peak 3)");
  assert.equal(texts["chart-heading"], "The last 10 minutes");
  assert.equal(texts["chart-time-start"], "−10 min");
  // 240 beats in the 2 minutes from 2 to 4 min: 2 per second; the last minute: 1 per second.
  assert.equal(texts["chart-rate-title"], "Heartbeats per second: 1.0");
  assert.equal(texts["chart-rate-max"], "2");
  assert.equal(texts["chart-events-title"], "Per minute — 3 joins, 1 leave, 1 eviction");
  assert.match(texts["chart-desc"], /1 peer online now, at most 3/);
  // A step line: moves right (H), then up or down (V), never diagonally.
  assert.match(paths["chart-online"], /^M[\d.]+,[\d.]+(H[\d.]+V[\d.]+)+$/);
  assert.match(paths["chart-online-area"], /Z$/);
  // One bar per minute that had something: joins at 2 and 4 min, the leave and eviction at 9.
  assert.equal(paths["chart-joins"].match(/M/g)?.length, 2);
  assert.equal(paths["chart-leaves"].match(/M/g)?.length, 1);
  assert.equal(paths["chart-evictions"].match(/M/g)?.length, 1);
});

Deno.test("an idle chart is flat, says zero, and draws no bars", () => {
  const { paths, texts } = networkChart([sample(0, {}), sample(MINUTE, {})], MINUTE, 5 * MINUTE);
  assert.equal(texts["chart-online-title"], "Peers online: 0 (peak 0)");
  assert.equal(texts["chart-events-title"], "Per minute — 0 joins, 0 leaves, 0 evictions");
  assert.equal(paths["chart-joins"], "");
  assert.equal(paths["chart-evictions"], "");
});

Deno.test("the home page carries the chart; the stream sends it on its first tick", async () => {
  await using dashboard = await startDashboard({ app: { chartSampleMs: 20 } });
  await using alice = await registeredPeer(dashboard.registry, "alice");
  using _beat = keepAlive([alice], 50);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const html = await dashboard.html("/");
  assert.match(html, /<svg id="network-chart" viewBox="0 0 720 262" role="img"/);
  assert.match(html, /<desc id="chart-desc">Over the last 5 minutes: 1 peer online now/);
  const res = await dashboard.request("/api/events");
  const reader = res.body!.getReader();
  let text = "";
  while (!text.includes("event: chart")) {
    text += new TextDecoder().decode((await reader.read()).value);
  }
  await reader.cancel();
  assert.match(text, /event: chart\ndata: \{"paths":\{"chart-online":"M/);
});
