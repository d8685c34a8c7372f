/**
 * The geometry of the dashboard's network chart, computed by the registry:
 * SVG path data and label texts by element ID. The page renders them once on
 * the server; the live stream sends new ones and the browser script only
 * sets attributes, so there is one drawing of the chart, here.
 */

import type { NetworkSample } from "./network_history.ts";

/** Everything that changes in the chart, by element ID. */
export interface NetworkChartModel {
  /** `d` attributes of the chart's paths. */
  paths: Record<string, string>;
  /** Text of the chart's labels, and its accessible summary. */
  texts: Record<string, string>;
}

/** The SVG coordinate system the paths are drawn in. */
export const CHART = {
  width: 720,
  height: 262,
  left: 48,
  right: 708,
  online: { top: 26, bottom: 86 },
  rate: { top: 118, bottom: 178 },
  events: { top: 206, middle: 226, bottom: 246 },
} as const;

/** A segment shorter than this at the end of the line is not drawn. */
const MIN_RATE_SECONDS = 2;

/** The span the "heartbeats per second" now figure is averaged over. */
const RATE_SPAN_MS = 10_000;

/** Draws the last `windowMs` of `samples`, ending at `now`. */
export function networkChart(
  samples: NetworkSample[],
  now: number,
  windowMs: number,
): NetworkChartModel {
  const start = now - windowMs;
  const x = (at: number) =>
    round(CHART.left + (Math.max(at, start) - start) / windowMs * (CHART.right - CHART.left));

  // Peers online: a step line (the count holds until the next sample changes it).
  const online = samples.map((s) => s.online);
  const onlineMax = niceCeiling(Math.max(1, ...online));
  const yOnline = (v: number) => scale(v, onlineMax, CHART.online);
  let onlineLine = "";
  samples.forEach((s, i) => {
    const previous = samples[i - 1];
    if (!previous) onlineLine += `M${x(s.at)},${yOnline(s.online)}`;
    else onlineLine += `H${x(s.at)}V${yOnline(s.online)}`;
  });
  const onlineArea = onlineLine &&
    `${onlineLine}V${CHART.online.bottom}H${x(samples[0].at)}Z`;

  // Heartbeats per second between consecutive samples.
  const rates: { from: number; to: number; rate: number }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1], samples[i]];
    const seconds = (b.at - a.at) / 1000;
    // The reading taken "now" may be a sliver after the last sample: too short to mean a rate.
    if (i === samples.length - 1 && i > 1 && seconds < MIN_RATE_SECONDS) continue;
    if (seconds > 0) {
      rates.push({ from: a.at, to: b.at, rate: (b.heartbeats - a.heartbeats) / seconds });
    }
  }
  const rateMax = niceCeiling(Math.max(1, ...rates.map((r) => r.rate)));
  const yRate = (v: number) => scale(v, rateMax, CHART.rate);
  const rateLine = rates.map((r, i) =>
    `${i === 0 ? "M" : "L"}${x(r.from)},${yRate(r.rate)}H${x(r.to)}`
  ).join("");

  // Joins up, leaves and evictions down, per minute.
  const minutes = Math.max(1, Math.round(windowMs / 60_000));
  const buckets = Array.from({ length: minutes }, () => ({ joins: 0, leaves: 0, evictions: 0 }));
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1], samples[i]];
    if (b.at < start) continue;
    const bucket = buckets[Math.min(minutes - 1, Math.floor((b.at - start) / 60_000))];
    bucket.joins += b.joins - a.joins;
    bucket.leaves += b.leaves - a.leaves;
    bucket.evictions += b.evictions - a.evictions;
  }
  const barsMax = niceCeiling(
    Math.max(1, ...buckets.map((b) => Math.max(b.joins, b.leaves + b.evictions))),
  );
  const half = CHART.events.middle - CHART.events.top;
  const slot = (CHART.right - CHART.left) / minutes;
  const width = round(Math.max(1, slot - 2));
  const bar = (index: number, from: number, height: number) =>
    height === 0
      ? ""
      : `M${round(CHART.left + index * slot + 1)},${round(from)}h${width}v${
        round(height)
      }h${-width}Z`;
  let joins = "", leaves = "", evictions = "";
  buckets.forEach((b, i) => {
    const h = (n: number) => n / barsMax * half;
    joins += bar(i, CHART.events.middle, -h(b.joins));
    leaves += bar(i, CHART.events.middle, h(b.leaves));
    evictions += bar(i, CHART.events.middle + h(b.leaves), h(b.evictions));
  });

  const last = samples.at(-1);
  const peak = Math.max(0, ...online);
  // "Now" is the last ten seconds or more: the newest segment alone may be a sliver.
  const recent = samples.find((s) => s.at >= now - RATE_SPAN_MS && s !== last) ?? samples[0];
  const rateNow = last && recent && last.at > recent.at
    ? (last.heartbeats - recent.heartbeats) / ((last.at - recent.at) / 1000)
    : 0;
  const totals = buckets.reduce(
    (sum, b) => ({
      joins: sum.joins + b.joins,
      leaves: sum.leaves + b.leaves,
      evictions: sum.evictions + b.evictions,
    }),
    { joins: 0, leaves: 0, evictions: 0 },
  );
  const perMinute = `${totals.joins} ${plural(totals.joins, "join")}, ${totals.leaves} ${
    plural(totals.leaves, "leave")
  }, ${totals.evictions} ${plural(totals.evictions, "eviction")}`;
  return {
    paths: {
      "chart-online": onlineLine,
      "chart-online-area": onlineArea,
      "chart-rate": rateLine,
      "chart-joins": joins,
      "chart-leaves": leaves,
      "chart-evictions": evictions,
    },
    texts: {
      "chart-heading": `The last ${Math.round(windowMs / 60_000)} minutes`,
      "chart-time-start": `−${Math.round(windowMs / 60_000)} min`,
      "chart-time-middle": `−${Math.round(windowMs / 120_000)} min`,
      "chart-online-title": `Peers online: ${last?.online ?? 0} (peak ${peak})`,
      "chart-online-max": String(onlineMax),
      "chart-rate-title": `Heartbeats per second: ${formatRate(rateNow)}`,
      "chart-rate-max": String(rateMax),
      "chart-events-title": `Per minute — ${perMinute}`,
      "chart-events-max": String(barsMax),
      "chart-desc": `Over the last ${Math.round(windowMs / 60_000)} minutes: ${last?.online ?? 0} ${
        plural(last?.online ?? 0, "peer")
      } online now, at most ${peak}; ${
        formatRate(rateNow)
      } heartbeats per second now; ${perMinute}.`,
    },
  };
}

function scale(value: number, max: number, band: { top: number; bottom: number }): number {
  return round(band.bottom - value / max * (band.bottom - band.top));
}

/** 1, 2, 5, 10, 20, 50, … at or above `value`. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function formatRate(rate: number): string {
  return rate >= 10 ? String(Math.round(rate)) : rate.toFixed(1);
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
