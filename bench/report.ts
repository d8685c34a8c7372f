/** The results table, for the terminal and for docs/BENCHMARKS.md. */

import { isMeasured, type SavedRow } from "./results_file.ts";
import { BENCHMARK_ROWS } from "./rows.ts";
import type { BenchResult, Machine, RunStamp } from "./support/result.ts";

/** Reads what this machine is. */
export function describeMachine(): Machine {
  let cpu = "unknown CPU";
  let memory = "unknown";
  try {
    cpu = /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? cpu;
    const kb = Number(/MemTotal:\s*(\d+)/.exec(Deno.readTextFileSync("/proc/meminfo"))?.[1]);
    if (kb) memory = `${(kb / 1024 / 1024).toFixed(0)} GiB`;
  } catch {
    // not Linux: leave unknown
  }
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    memory,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

/** This moment and command line, to stamp the rows a run measures. */
export function stampRun(command: string): RunStamp {
  return { date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC", command };
}

/** A plain-text table for the terminal. */
export function textTable(results: BenchResult[]): string {
  const rows = results.map((r) => [
    String(r.id),
    r.what,
    r.measured,
    r.baseline,
    r.floor ?? "—",
    r.ratio,
    r.target,
    r.skipped ? "skipped" : r.met ? "met" : "MISSED",
  ]);
  const header = ["#", "what", "measured", "baseline (same run)", "floor", "ratio", "target", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** One line of the Markdown table. */
function markdownRow(row: SavedRow): string {
  const cell = (text: string) => text.replaceAll("|", "\\|");
  if (!isMeasured(row)) {
    const known = BENCHMARK_ROWS.find((r) => r.id === row.id);
    return `| ${row.id} | ${cell(known?.what ?? "—")} | not measured yet | — | — | — | ${
      cell(known?.target ?? "—")
    } | | — |`;
  }
  const when = row.run ? `${row.run.date}, \`${row.run.command}\`` : "—";
  return `| ${row.id} | ${cell(row.what)} | ${cell(row.measured)} | ${cell(row.baseline)} | ${
    cell(row.floor ?? "—")
  } | ${cell(row.ratio)} | ${cell(row.target)} | ${
    row.skipped ? "skipped" : row.met ? "**met**" : "**missed**"
  } | ${cell(when)} |`;
}

/** The Markdown document written to docs/BENCHMARKS.md. */
export function markdownReport(rows: SavedRow[], machine: Machine, notes: string): string {
  return `# p2pchat benchmarks

Written by \`deno task bench\`. Each row says when and by which command it was measured: a full
run measures every row, \`deno task bench --only=N --merge\` re-measures rows N and keeps the others
as they were. Every figure is a median or percentile over repeated trials, and every ratio is
against a baseline measured in the same run on the same machine, because the machine is shared and
noisy. Direct links are measured **with encryption** (AES-256-GCM after the X25519/Ed25519
handshake) and with both peers' message stores **on disk** (SQLite, \`synchronous = FULL\`),
exactly as the product runs.

- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory} RAM, ${machine.os}
- Runtime: Deno ${machine.deno} (V8 ${machine.v8})
- Load: simulated peers speak the real registry protocol from worker threads; the registry under
  test runs in its own process (\`bench/registry_host.ts\`); baselines run the same way.

| # | what | measured | baseline (same run) | floor | ratio | target | | measured on, by |
|---|---|---|---|---|---|---|---|---|
${rows.map(markdownRow).join("\n")}

${notes}
`;
}
