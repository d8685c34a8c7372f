/** The dashboard's look, served by the registry itself. */

/**
 * The stylesheet: system fonts, light and dark schemes following the system.
 * Colours meet WCAG 2.2 AA contrast (4.5:1 for text) in both schemes; the
 * axe-core test checks it.
 */

export const DASHBOARD_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f7f7f5; --panel: #ffffff; --text: #1d1f21; --muted: #565c64; --line: #d9dbde;
  --accent: #1d4ed8; --ok: #15803d; --late: #92400e; --critical: #b91c1c; --row-hover: #f0f3f8;
  --focus: #1d4ed8;
  font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #131517; --panel: #1b1e21; --text: #e6e7e8; --muted: #9aa0a6; --line: #2b2f33;
    --accent: #8ab4ff; --ok: #4ade80; --late: #fbbf24; --critical: #ff8a80; --row-hover: #22262a;
    --focus: #8ab4ff; --muted: #aab0b7; --line: #3a3f45;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
code { font: 0.92em/1 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }

header.top {
  display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.4rem 1rem;
  padding: 0.9rem 1.5rem; background: var(--panel); border-bottom: 1px solid var(--line);
}
.brand { font-weight: 700; font-size: 1.15rem; color: var(--text); }
.brand span { color: var(--muted); font-weight: 500; }
.meta { color: var(--muted); font-size: 0.875rem; }
.live { margin-left: auto; font-size: 0.875rem; padding: 0.15rem 0.6rem; border-radius: 999px;
  border: 1px solid var(--line); color: var(--muted); }
.live[data-state="live"] { color: var(--ok); border-color: currentColor; }
.live[data-state="live"]::before { content: "● "; }
.live[data-state="lost"] { color: var(--critical); border-color: currentColor; }

main { max-width: 1200px; margin: 0 auto; padding: 1.25rem 1.5rem 3rem; }
h1 { font-size: 1.4rem; margin: 0.2rem 0 1rem; }
h2 { font-size: 1rem; margin: 1.75rem 0 0.6rem; color: var(--muted); text-transform: uppercase;
  letter-spacing: 0.04em; }

.totals { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: 0.75rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 0.7rem 0.9rem; }
.card .label { display: block; font-size: 0.875rem; color: var(--muted); }
.card .value { display: block; font-size: 1.55rem; font-weight: 650; font-variant-numeric: tabular-nums;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.card .value.small { font-size: 1.05rem; padding-top: 0.35rem; line-height: 1.8rem; }

.toolbar { display: flex; flex-wrap: wrap; gap: 0.6rem 1rem; align-items: center; margin: 1.5rem 0 0.6rem; }
.toolbar input { font: inherit; padding: 0.4rem 0.6rem; border: 1px solid var(--line); border-radius: 8px;
  background: var(--panel); color: var(--text); min-width: 14rem; }
.toolbar button, button.kick { font: inherit; padding: 0.35rem 0.8rem; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--line); background: var(--panel); color: var(--text); }
.count { color: var(--muted); font-size: 0.875rem; }
.token { margin-left: auto; display: flex; gap: 0.5rem; align-items: center; }
.status { font-size: 0.875rem; color: var(--muted); }
.status[data-error="true"] { color: var(--critical); }

.table-wrap { overflow-x: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 0.5rem 0.8rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-size: 0.875rem; color: var(--muted); font-weight: 600; position: sticky; top: 0; background: var(--panel); }
th a { color: inherit; }
th[aria-sort="ascending"] a::after { content: " ▲"; }
th[aria-sort="descending"] a::after { content: " ▼"; }
tbody tr:hover { background: var(--row-hover); }
tbody tr:last-child td { border-bottom: none; }
td.name a { font-weight: 600; }
td.id code { cursor: copy; }
td.id code[data-copied]::after { content: " copied"; color: var(--ok); font-family: system-ui, sans-serif; }
td.age { font-weight: 600; }
tr[data-state="ok"] td.age { color: var(--ok); }
tr[data-state="late"] td.age { color: var(--late); }
tr[data-state="late"] td.age::after { content: " late"; font-size: 0.8rem; font-weight: 500; }
tr[data-state="critical"] { background: color-mix(in srgb, var(--critical) 10%, transparent); }
tr[data-state="critical"] td.age { color: var(--critical); }
tr[data-state="critical"] td.age::after { content: " late — eviction soon"; font-size: 0.8rem; font-weight: 500; }
button.kick { padding: 0.15rem 0.6rem; color: var(--critical); }
.empty { color: var(--muted); text-align: center; padding: 1.5rem; }

.events ol { list-style: none; margin: 0; padding: 0; background: var(--panel); border: 1px solid var(--line);
  border-radius: 10px; max-height: 24rem; overflow-y: auto; }
.events li { padding: 0.4rem 0.8rem; border-bottom: 1px solid var(--line); font-size: 0.9rem; }
.events li:last-child { border-bottom: none; }
.events time { color: var(--muted); font-variant-numeric: tabular-nums; }
.events .kind { display: inline-block; min-width: 3.8rem; font-size: 0.8rem; font-weight: 600; text-transform: uppercase; }
.events [data-kind="join"] .kind, .events [data-kind="rejoin"] .kind { color: var(--ok); }
.events [data-kind="evict"] .kind, .events [data-kind="kick"] .kind, .events [data-kind="refuse"] .kind { color: var(--critical); }
.events [data-kind="leave"] .kind { color: var(--muted); }
.events .address, .events .detail { color: var(--muted); }

.instances h2 { display: flex; align-items: baseline; gap: 0.8rem; }
.engine { font-size: 0.75rem; text-transform: none; letter-spacing: 0; padding: 0.1rem 0.6rem;
  border-radius: 999px; border: 1px solid currentColor; }
.engine[data-state="up"] { color: var(--ok); }
.engine[data-state="down"] { color: var(--critical); }
#instances tr[data-healthy="false"] td { color: var(--critical); }
#instances tr[data-healthy="true"] td.healthy { color: var(--ok); font-weight: 600; }

.crumbs { margin: 0 0 0.5rem; }
.badge { font-size: 0.8rem; padding: 0.1rem 0.5rem; border-radius: 999px; vertical-align: middle; border: 1px solid currentColor; }
.badge.online { color: var(--ok); }
.badge.offline { color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.4rem 1.2rem; background: var(--panel);
  border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.2rem; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
dd[data-state="late"] { color: var(--late); }
dd[data-state="critical"] { color: var(--critical); }
.hint { color: var(--muted); font-size: 0.875rem; }

.chart svg, svg.sparkline { display: block; width: 100%; height: auto; background: var(--panel);
  border: 1px solid var(--line); border-radius: 10px; }
.chart text, .sparkline text { font: 12px system-ui, sans-serif; fill: var(--muted); }
.chart text.title { font-size: 13px; font-weight: 600; fill: var(--text); }
.chart .axis { stroke: var(--line); stroke-width: 1; }
.chart .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
.chart .line.online { stroke: var(--accent); }
.chart .area { fill: color-mix(in srgb, var(--accent) 16%, transparent); }
.chart .line.rate { stroke: var(--ok); }
.chart .bar.joins { fill: var(--ok); }
.chart .bar.leaves { fill: var(--muted); }
.chart .bar.evictions { fill: var(--critical); }
.legend { margin: 0.4rem 0 0; font-size: 0.875rem; color: var(--muted); }
.legend .key::before { content: ""; display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem;
  border-radius: 2px; vertical-align: -0.1rem; }
.legend .key.joins::before { background: var(--ok); }
.legend .key.leaves::before { background: var(--muted); }
.legend .key.evictions::before { background: var(--critical); }
.sparkline .beats { fill: none; stroke: var(--accent); stroke-width: 2; }
.sparkline circle { fill: var(--ok); }
.sparkline circle[data-state="late"] { fill: var(--late); }
.sparkline circle[data-state="critical"] { fill: var(--critical); }
.sparkline .threshold line { stroke-width: 1.5; stroke-dasharray: 5 4; }
.sparkline .threshold.expected line { stroke: var(--muted); }
.sparkline .threshold.late line { stroke: var(--late); }
.sparkline .threshold.evict line { stroke: var(--critical); }

@media (max-width: 640px) {
  main { padding: 1rem 0.75rem 2rem; }
  th.actions, td.version, th[data-sort="version"] { display: none; }
  .token { margin-left: 0; }
}
`;
