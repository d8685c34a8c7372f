/**
 * The network chart on the home page: peers online, heartbeats per second,
 * and joins, leaves and evictions per minute over the last hour, as inline
 * SVG drawn by the registry (see `network_chart.ts`). Readable without
 * JavaScript; the browser script replaces its paths and texts as the live
 * stream sends new ones.
 */

import { CHART, type NetworkChartModel } from "../network_chart.ts";

export function NetworkChart({ model }: { model: NetworkChartModel }) {
  const { paths, texts } = model;
  const axis = (y: number) => <line class="axis" x1={CHART.left} x2={CHART.right} y1={y} y2={y} />;
  const label = (id: string, y: number) => (
    <text id={id} class="max" x={CHART.left - 6} y={y + 4} text-anchor="end">{texts[id]}</text>
  );
  return (
    <section class="chart" aria-labelledby="chart-heading">
      <h2 id="chart-heading">{texts["chart-heading"]}</h2>
      <svg
        id="network-chart"
        viewBox={`0 0 ${CHART.width} ${CHART.height}`}
        role="img"
        aria-labelledby="chart-heading chart-desc"
      >
        <desc id="chart-desc">{texts["chart-desc"]}</desc>
        <text id="chart-online-title" class="title" x={CHART.left} y={CHART.online.top - 8}>
          {texts["chart-online-title"]}
        </text>
        {label("chart-online-max", CHART.online.top)}
        <text class="max" x={CHART.left - 6} y={CHART.online.bottom + 4} text-anchor="end">0</text>
        {axis(CHART.online.bottom)}
        <path id="chart-online-area" class="area" d={paths["chart-online-area"]} />
        <path id="chart-online" class="line online" d={paths["chart-online"]} />

        <text id="chart-rate-title" class="title" x={CHART.left} y={CHART.rate.top - 8}>
          {texts["chart-rate-title"]}
        </text>
        {label("chart-rate-max", CHART.rate.top)}
        <text class="max" x={CHART.left - 6} y={CHART.rate.bottom + 4} text-anchor="end">0</text>
        {axis(CHART.rate.bottom)}
        <path id="chart-rate" class="line rate" d={paths["chart-rate"]} />

        <text id="chart-events-title" class="title" x={CHART.left} y={CHART.events.top - 8}>
          {texts["chart-events-title"]}
        </text>
        {label("chart-events-max", CHART.events.top)}
        {axis(CHART.events.middle)}
        <path id="chart-joins" class="bar joins" d={paths["chart-joins"]} />
        <path id="chart-leaves" class="bar leaves" d={paths["chart-leaves"]} />
        <path id="chart-evictions" class="bar evictions" d={paths["chart-evictions"]} />
        <text id="chart-time-start" class="time" x={CHART.left} y={CHART.height - 2}>
          {texts["chart-time-start"]}
        </text>
        <text
          id="chart-time-middle"
          class="time"
          x={(CHART.left + CHART.right) / 2}
          y={CHART.height - 2}
          text-anchor="middle"
        >
          {texts["chart-time-middle"]}
        </text>
        <text class="time" x={CHART.right} y={CHART.height - 2} text-anchor="end">now</text>
      </svg>
      <p class="legend" aria-hidden="true">
        <span class="key joins">joins</span> <span class="key leaves">leaves</span>{" "}
        <span class="key evictions">evictions</span>
      </p>
    </section>
  );
}
