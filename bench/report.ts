/** The results table, for the terminal and for docs/BENCHMARKS.md. */

import type { BenchResult } from "./support/result.ts";

/** Facts about where the numbers were measured. */
export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  deno: string;
  v8: string;
  date: string;
  command: string;
}

/** Reads what this machine is. */
export function describeMachine(command: string): Machine {
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
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    command,
  };
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
    r.met ? "met" : "MISSED",
  ]);
  const header = ["#", "what", "measured", "baseline (same run)", "floor", "ratio", "target", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The Markdown document written to docs/BENCHMARKS.md. */
export function markdownReport(results: BenchResult[], machine: Machine, notes: string): string {
  const cell = (text: string) => text.replaceAll("|", "\\|");
  const table = results.map((r) =>
    `| ${r.id} | ${cell(r.what)} | ${cell(r.measured)} | ${cell(r.baseline)} | ${
      cell(r.floor ?? "—")
    } | ${cell(r.ratio)} | ${cell(r.target)} | ${r.met ? "**met**" : "**missed**"} |`
  );
  return `# p2pchat benchmarks

Measured by \`${machine.command}\` on ${machine.date}. Every figure is a median or
percentile over repeated trials, and every ratio is against a baseline measured in the same run on
the same machine, because the machine is shared and noisy. Direct links are measured **with
encryption** (AES-256-GCM after the X25519/Ed25519 handshake) and with both peers' message stores
**on disk** (SQLite, \`synchronous = FULL\`), exactly as the product runs.

- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory} RAM, ${machine.os}
- Runtime: Deno ${machine.deno} (V8 ${machine.v8})
- Load: simulated peers speak the real registry protocol from worker threads; the registry under
  test runs in its own process (\`bench/registry_host.ts\`); baselines run the same way.

| # | what | measured | baseline (same run) | floor | ratio | target | |
|---|---|---|---|---|---|---|---|
${table.join("\n")}

${notes}
`;
}
