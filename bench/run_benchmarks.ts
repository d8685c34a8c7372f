/**
 * `deno task bench`: runs every benchmark, prints the table and writes
 * docs/BENCHMARKS.md (plus bench/results.json with the raw samples).
 * `deno task bench --smoke` runs each one tiny, for CI: it checks that the
 * harness works and asserts nothing about timings.
 *
 * Flags: --smoke · --only=1,3,5 (run a subset) · --out=PATH (report path) ·
 * --rerender (rewrite docs/BENCHMARKS.md from the saved results and the current notes)
 */

import { parseArgs } from "node:util";
import { clusterCapacity } from "./cases/cluster_capacity.ts";
import { clusterFailover } from "./cases/cluster_failover.ts";
import { clusterJoinVisibility } from "./cases/cluster_join_visibility.ts";
import { failureDetection } from "./cases/failure_detection.ts";
import { joinBurst } from "./cases/join_burst.ts";
import { joinVisibility } from "./cases/join_visibility.ts";
import { linkRoundTrip, linkThroughput } from "./cases/link.ts";
import { registryCapacity } from "./cases/registry_capacity.ts";
import { registryRestart } from "./cases/registry_restart.ts";
import { startup } from "./cases/startup.ts";
import { BENCHMARK_NOTES } from "./notes.ts";
import { describeMachine, markdownReport, textTable } from "./report.ts";
import type { BenchResult } from "./support/result.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string" },
    rerender: { type: "boolean", default: false },
  },
  strict: true,
});

if (values.rerender) {
  // Rewrites docs/BENCHMARKS.md from the last full run's JSON with the current notes.
  const root = new URL("../", import.meta.url).pathname;
  const saved = JSON.parse(await Deno.readTextFile(`${root}docs/BENCHMARKS.json`));
  await Deno.writeTextFile(
    `${root}docs/BENCHMARKS.md`,
    markdownReport(saved.results, saved.machine, BENCHMARK_NOTES),
  );
  console.log("docs/BENCHMARKS.md rewritten from docs/BENCHMARKS.json");
  Deno.exit(0);
}

const smoke = values.smoke === true;
const only = values.only?.split(",").map(Number);
const size = <T>(full: T, tiny: T) => smoke ? tiny : full;

const cases: [number, () => Promise<BenchResult>][] = [
  [1, () => linkRoundTrip(size(300, 20))],
  [2, () => linkThroughput(size(20_000, 500), size(5, 1))],
  [3, () => joinVisibility(size(100, 20), size(40, 5))],
  [3, () => joinVisibility(size(1000, 50), size(20, 3))],
  [4, () => registryCapacity(size(10_000, 200), size(5, 2))],
  [5, () => joinBurst(size(1000, 100), 1000)],
  [6, () => failureDetection(size(5, 1))],
  [7, () => registryRestart(size(1000, 50))],
  [8, () => startup(size(15, 3))],
  [9, () => clusterJoinVisibility(size(1000, 30), size(20, 3))],
  [10, () => clusterFailover(size(1000, 60))],
  [11, () => clusterCapacity(size(5000, 50), size(5, 2))],
];

const results: BenchResult[] = [];
for (const [id, run] of cases) {
  if (only && !only.includes(id)) continue;
  const started = performance.now();
  console.error(`benchmark ${id}…`);
  const result = await run();
  console.error(
    `  ${result.what}: ${result.measured} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  results.push(result);
}

console.log(textTable(results));
const command = `deno task bench${smoke ? " --smoke" : ""}${
  values.only ? ` --only=${values.only}` : ""
}`;
const machine = describeMachine(command);
const out = values.out ?? (smoke || only ? "artifacts/BENCHMARKS.smoke.md" : "docs/BENCHMARKS.md");
const root = new URL("../", import.meta.url).pathname;
await Deno.mkdir(`${root}${out.split("/").slice(0, -1).join("/")}`, { recursive: true });
await Deno.writeTextFile(`${root}${out}`, markdownReport(results, machine, BENCHMARK_NOTES));
await Deno.writeTextFile(
  `${root}${out.replace(/\.md$/, ".json")}`,
  JSON.stringify({ machine, results }, null, 2) + "\n",
);
console.log(
  `\n${results.length} benchmarks ran; ${results.filter((r) => r.met).length} met their target.`,
);
console.log(`report: ${out}`);
if (smoke && !only && results.length !== cases.length) {
  console.error("smoke run incomplete");
  Deno.exit(1);
}
