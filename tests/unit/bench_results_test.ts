import assert from "node:assert/strict";
import {
  BENCHMARK_ROWS,
  type BenchResult,
  formatResultsFile,
  isMeasured,
  markdownReport,
  mergeResults,
  readResultsFile,
} from "../../bench/mod.ts";

const machine = { cpu: "cpu", cores: 2, memory: "1 GiB", os: "linux", deno: "2", v8: "15" };

function result(id: number, measured: string, date: string): BenchResult {
  return {
    id,
    what: `row ${id}`,
    measured,
    baseline: "—",
    ratio: "—",
    target: "t",
    met: true,
    details: {},
    run: { date, command: `deno task bench --only=${id} --merge` },
  };
}

Deno.test("--merge replaces the rows that ran and keeps every other row as it was", () => {
  const saved = [
    result(1, "old 1", "day 1"),
    result(3, "old 3a", "day 1"),
    result(3, "old 3b", "day 1"),
    result(4, "old 4", "day 1"),
  ];
  const rows = mergeResults(saved, [result(3, "new 3", "day 2")], new Set([3]));
  const measured = rows.filter(isMeasured);
  assert.deepEqual(
    measured.map((r) => [r.id, r.measured, r.run?.date]),
    [[1, "old 1", "day 1"], [3, "new 3", "day 2"], [4, "old 4", "day 1"]],
  );
  // Every row of the report is there, measured or not, in order.
  assert.deepEqual(rows.map((r) => r.id), BENCHMARK_ROWS.map((r) => r.id));
  assert.ok(rows.some((r) => r.id === 2 && !isMeasured(r)), "row 2 is kept as not measured");
});

Deno.test("the report says for every row when and by what it was measured, or that it was not", () => {
  const rows = mergeResults([result(1, "p50 1 ms", "2026-12-02 05:00 UTC")], [], new Set());
  const report = markdownReport(rows, machine, "");
  const line1 = report.split("\n").find((line) => line.startsWith("| 1 |"))!;
  assert.match(line1, /p50 1 ms/);
  assert.match(line1, /2026-12-02 05:00 UTC, `deno task bench --only=1 --merge`/);
  for (const row of BENCHMARK_ROWS.filter((r) => r.id !== 1)) {
    const line = report.split("\n").find((l) => l.startsWith(`| ${row.id} |`));
    assert.ok(line, `row ${row.id} is in the report`);
    assert.match(line, /not measured yet/);
  }
});

Deno.test("the results file reads back what it wrote, and the first format too", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = mergeResults([], [result(2, "9 k/s", "d")], new Set([2]));
    await Deno.writeTextFile(`${dir}/r.json`, formatResultsFile({ machine, results: rows }));
    assert.deepEqual(await readResultsFile(`${dir}/r.json`), { machine, results: rows });

    const { run: _run, ...unstamped } = result(5, "1 s", "");
    const legacy = { machine: { ...machine, date: "day 0", command: "deno task bench" } };
    await Deno.writeTextFile(
      `${dir}/old.json`,
      JSON.stringify({ ...legacy, results: [unstamped] }),
    );
    const read = await readResultsFile(`${dir}/old.json`);
    assert.deepEqual(read?.machine, machine);
    assert.deepEqual(read?.results[0], {
      ...unstamped,
      run: { date: "day 0", command: "deno task bench" },
    });
    assert.equal(await readResultsFile(`${dir}/none.json`), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
