/**
 * A peer's recent heartbeat intervals as a sparkline, against the announced
 * interval, with the thresholds where the dashboard calls a peer late and
 * where the registry evicts it. Inline SVG, drawn on the server.
 */

import { heartbeatState } from "../assets/format.ts";

// Wide, so the labels keep about their font size when the picture fills the page.
const WIDTH = 1000;
const HEIGHT = 170;
const LEFT = 12;
const RIGHT = 850;
const TOP = 14;
const BOTTOM = 156;

/** What the sparkline shows. */
export interface HeartbeatSparklineProps {
  intervals: number[];
  heartbeatMs: number;
  evictAfter: number;
}

export function HeartbeatSparkline(
  { intervals, heartbeatMs, evictAfter }: HeartbeatSparklineProps,
) {
  const lateMs = heartbeatMs * 1.5;
  const evictMs = heartbeatMs * evictAfter;
  const top = Math.max(evictMs, ...intervals) * 1.08;
  const y = (ms: number) => round(BOTTOM - ms / top * (BOTTOM - TOP));
  const step = intervals.length > 1 ? (RIGHT - LEFT) / (intervals.length - 1) : 0;
  const x = (i: number) => round(LEFT + i * step);
  const line = intervals.map((ms, i) => `${i === 0 ? "M" : "L"}${x(i)},${y(ms)}`).join("");
  const sorted = [...intervals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const late = intervals.filter((ms) => ms > lateMs).length;
  const threshold = (ms: number, className: string, text: string) => (
    <g class={`threshold ${className}`}>
      <line x1={LEFT} x2={RIGHT} y1={y(ms)} y2={y(ms)} />
      <text x={RIGHT + 10} y={y(ms) + 4}>{text}</text>
    </g>
  );
  return (
    <svg
      class="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-labelledby="sparkline-desc"
    >
      <desc id="sparkline-desc">
        {`The last ${intervals.length} heartbeat intervals: median ${median} ms, longest ${
          sorted.at(-1) ?? 0
        } ms, ${late} late. Announced every ${heartbeatMs} ms; late above ${lateMs} ms; evicted ` +
          `after ${evictMs} ms of silence.`}
      </desc>
      {threshold(evictMs, "evict", `evicted ${evictMs} ms`)}
      {threshold(lateMs, "late", `late ${lateMs} ms`)}
      {threshold(heartbeatMs, "expected", `every ${heartbeatMs} ms`)}
      <path class="beats" d={line} />
      {intervals.map((ms, i) => (
        <circle
          key={i}
          cx={x(i)}
          cy={y(ms)}
          r={3.5}
          data-state={heartbeatState(ms, heartbeatMs, evictAfter)}
        >
          <title>{`${ms} ms`}</title>
        </circle>
      ))}
    </svg>
  );
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
