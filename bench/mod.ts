/**
 * The benchmark harness (`deno task bench`, bench/run_benchmarks.ts). Its face
 * for other folders: the report's rows and the results file they are kept in.
 */

export { markdownReport } from "./report.ts";
export type { Machine } from "./support/result.ts";
export { formatResultsFile, isMeasured, mergeResults, readResultsFile } from "./results_file.ts";
export type { NotMeasured, ResultsFile, SavedRow } from "./results_file.ts";
export { BENCHMARK_ROWS } from "./rows.ts";
export type { BenchRow } from "./rows.ts";
export type { BenchResult, RunStamp } from "./support/result.ts";
