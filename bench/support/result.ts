/** One benchmark's outcome, as the report prints it. */

/** When, and by which command, a row was measured. */
export interface RunStamp {
  /** "YYYY-MM-DD HH:MM UTC". */
  date: string;
  /** The command line that measured it, e.g. "deno task bench --only=1,2 --merge". */
  command: string;
}

/** A row of the results table. */
export interface BenchResult {
  /** The number in the table. */
  id: number;
  what: string;
  /** What was measured, formatted (medians and percentiles). */
  measured: string;
  /** The same-run baseline, formatted, or "—". */
  baseline: string;
  /** The least the measured figure can physically be, where that is known (formatted). */
  floor?: string;
  /** Measured relative to the baseline (or floor), e.g. "1.7×", or "—". */
  ratio: string;
  target: string;
  met: boolean;
  /** Why the row did not run on this machine (it needs root, say); it is then not missed. */
  skipped?: string;
  /** Numbers behind the row, kept in the JSON output. */
  details: Record<string, unknown>;
  /** Why a target was missed, and what would fix it (filled in by the report). */
  note?: string;
  /** When and how it was measured (set by the harness when it saves the row). */
  run?: RunStamp;
}

/** Facts about the machine the numbers were measured on. */
export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  deno: string;
  v8: string;
}
