/**
 * docs/BENCHMARKS.json: every row's latest result, each stamped with when and
 * by which command it was measured, so `--only=N --merge` can re-measure some
 * rows and keep the others as they were.
 *
 * One row per line with a blank line between rows, and no run date at the top:
 * engineers re-measuring different rows on different branches touch different
 * lines, so git merges their files without a conflict (docs/BENCHMARKS.md is
 * then rewritten from it with `--rerender`).
 */

import { BENCHMARK_ROWS } from "./rows.ts";
import type { BenchResult, Machine, RunStamp } from "./support/result.ts";

/** A row that has no measurement yet. */
export interface NotMeasured {
  id: number;
  notMeasured: true;
}

/** A line of the results file. */
export type SavedRow = BenchResult | NotMeasured;

/** The whole file. */
export interface ResultsFile {
  machine: Machine;
  results: SavedRow[];
}

/** True for a row that holds a measurement. */
export function isMeasured(row: SavedRow): row is BenchResult {
  return !("notMeasured" in row);
}

/**
 * Reads a results file, or undefined when there is none. The first format
 * (one run for the whole file) is read too: its run's date and command
 * become every row's stamp.
 */
export async function readResultsFile(path: string): Promise<ResultsFile | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const saved = JSON.parse(text) as {
    machine: Machine & Partial<RunStamp>;
    results: SavedRow[];
  };
  const { date, command, ...machine } = saved.machine;
  const legacy: RunStamp | undefined = date && command ? { date, command } : undefined;
  const results = saved.results.map((row) =>
    isMeasured(row) && !row.run && legacy ? { ...row, run: legacy } : row
  );
  return { machine, results };
}

/**
 * The rows of the report after a run: the rows whose ids ran take the fresh
 * results; every other row keeps what `saved` had, or is "not measured yet".
 * Ordered by row number; a row's results keep their order.
 */
export function mergeResults(
  saved: readonly SavedRow[],
  fresh: readonly BenchResult[],
  ran: ReadonlySet<number>,
): SavedRow[] {
  const ids = new Set([
    ...BENCHMARK_ROWS.map((row) => row.id),
    ...saved.map((row) => row.id),
    ...fresh.map((row) => row.id),
  ]);
  const merged: SavedRow[] = [];
  for (const id of [...ids].sort((a, b) => a - b)) {
    const rows = ran.has(id)
      ? fresh.filter((row) => row.id === id)
      : saved.filter((row) => row.id === id && isMeasured(row));
    merged.push(...(rows.length ? rows : [{ id, notMeasured: true as const }]));
  }
  return merged;
}

/** The file's text: one row per line, a blank line between rows. */
export function formatResultsFile(file: ResultsFile): string {
  const rows = file.results.map((row) => `    ${JSON.stringify(row)}`).join(",\n\n");
  return `{\n  "machine": ${JSON.stringify(file.machine)},\n  "results": [\n\n${rows}\n\n  ]\n}\n`;
}
