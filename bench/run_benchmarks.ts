/**
 * `deno task bench`: runs every benchmark, prints the table and writes
 * docs/BENCHMARKS.md plus docs/BENCHMARKS.json (every row's raw samples, and
 * when and by which command it was measured).
 *
 * Flags:
 * - `--only=1,3` runs those rows only; alone it writes artifacts/BENCHMARKS.only.md.
 * - `--merge` writes the rows that ran into the report (docs/, or --out) and keeps
 *   every other row as it was: `deno task bench --only=2 --merge`.
 * - `--smoke` runs each benchmark tiny, for CI: it checks that the harness works,
 *   asserts nothing about timings, and writes artifacts/BENCHMARKS.smoke.md.
 * - `--out=PATH` the report's path (its .json beside it).
 * - `--rerender` rewrites the report from its .json and the current notes (after
 *   a rebase merged someone else's rows into docs/BENCHMARKS.json).
 */

import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { clusterCapacity } from "./cases/cluster_capacity.ts";
import { clusterFailover } from "./cases/cluster_failover.ts";
import { clusterJoinVisibility } from "./cases/cluster_join_visibility.ts";
import { failureDetection } from "./cases/failure_detection.ts";
import { chatDuringTransfer, fileThroughput } from "./cases/files.ts";
import { joinBurst } from "./cases/join_burst.ts";
import { joinVisibility } from "./cases/join_visibility.ts";
import { linkRoundTrip, linkThroughput } from "./cases/link.ts";
import { punchedFirstMessage, relayedFirstMessage, relayedThroughput } from "./cases/nat_paths.ts";
import { registryCapacity } from "./cases/registry_capacity.ts";
import { registryRestart } from "./cases/registry_restart.ts";
import { startup } from "./cases/startup.ts";
import { BENCHMARK_NOTES } from "./notes.ts";
import { describeMachine, markdownReport, stampRun, textTable } from "./report.ts";
import { formatResultsFile, mergeResults, readResultsFile } from "./results_file.ts";
import type { BenchResult } from "./support/result.ts";

const HELP = `deno task bench [--only=N[,M…]] [--merge] [--smoke] [--out=PATH] [--rerender]

  (no flags)        run every benchmark; write docs/BENCHMARKS.md and docs/BENCHMARKS.json
  --only=N[,M…]     run only rows N, M… (alone: write artifacts/BENCHMARKS.only.md)
  --merge           write the rows that ran into the report, keep every other row as it was
                    (each row says when and by which command it was measured)
  --smoke           tiny sizes, for CI: checks the harness, writes artifacts/BENCHMARKS.smoke.md
  --out=PATH        the report's path; its .json is written beside it
  --rerender        rewrite the report from its .json with the current notes, run nothing`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    merge: { type: "boolean", default: false },
    out: { type: "string" },
    rerender: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}

const root = new URL("../", import.meta.url).pathname;
const smoke = values.smoke === true;
const only = values.only?.split(",").map(Number);
if (only?.some((id) => !Number.isInteger(id) || id < 1)) {
  console.error(`--only takes row numbers separated by commas, not "${values.only}"`);
  Deno.exit(2);
}
const out = values.out ??
  (smoke
    ? "artifacts/BENCHMARKS.smoke.md"
    : only && !values.merge
    ? "artifacts/BENCHMARKS.only.md"
    : "docs/BENCHMARKS.md");
// Relative to the repository, wherever the command runs; an absolute path as it is.
const outPath = resolve(root, out);
const outJson = `${outPath.replace(/\.md$/, "")}.json`;
const shownJson = `${out.replace(/\.md$/, "")}.json`;

if (values.rerender) {
  const saved = await readResultsFile(outJson);
  if (!saved) {
    console.error(`--rerender: no ${shownJson} to render from`);
    Deno.exit(1);
  }
  await Deno.writeTextFile(outPath, markdownReport(saved.results, saved.machine, BENCHMARK_NOTES));
  console.log(`${out} rewritten from ${shownJson}`);
  Deno.exit(0);
}

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
  [12, () => fileThroughput(size(256 * 1024 * 1024, 1024 * 1024), size(3, 1))],
  [13, () => chatDuringTransfer(size(1024 * 1024 * 1024, 2 * 1024 * 1024), size(20, 3))],
  [14, () => punchedFirstMessage(size(15, 1))],
  [15, () => relayedFirstMessage(size(10, 1))],
  [16, () => relayedThroughput(size(100, 10), size(5, 1))],
];

const unknown = only?.filter((id) => !cases.some(([caseId]) => caseId === id)) ?? [];
if (unknown.length) {
  console.error(`--only: no benchmark numbered ${unknown.join(", ")} in this harness`);
  Deno.exit(2);
}

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
const command = ["deno task bench", ...Deno.args].join(" ");
const stamp = stampRun(command);
for (const result of results) result.run = stamp;
const ran = new Set(cases.map(([id]) => id).filter((id) => !only || only.includes(id)));
const saved = values.merge ? (await readResultsFile(outJson))?.results ?? [] : [];
const machine = describeMachine();
const rows = mergeResults(saved, results, ran);
await Deno.mkdir(dirname(outPath), { recursive: true });
await Deno.writeTextFile(outPath, markdownReport(rows, machine, BENCHMARK_NOTES));
await Deno.writeTextFile(outJson, formatResultsFile({ machine, results: rows }));
console.log(
  `\n${results.length} benchmarks ran; ${results.filter((r) => r.met).length} met their target${
    results.some((r) => r.skipped) ? `, ${results.filter((r) => r.skipped).length} skipped` : ""
  }.`,
);
console.log(`report: ${out}`);
if (smoke && !only && results.length !== cases.length) {
  console.error("smoke run incomplete");
  Deno.exit(1);
}
