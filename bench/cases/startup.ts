/**
 * Benchmark 8: process start until the registry listens, against `deno run`
 * of an empty script (the runtime's own start-up). Both run from the same
 * kind of file: the bundle for p2pchat, a one-line file for the baseline.
 */

import type { BenchResult } from "../support/result.ts";
import { formatMs, median } from "../support/stats.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

export async function startup(runs: number): Promise<BenchResult> {
  const bundle = await buildBundle();
  const empty = await Deno.makeTempFile({ suffix: ".js" });
  await Deno.writeTextFile(empty, "// empty\n");
  try {
    const registry: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const a = await timeUntilLine(
        [
          "run",
          "-A",
          bundle,
          "registry",
          "--listen",
          "127.0.0.1:0",
          "--no-dashboard",
        ],
        /^listening for peers on /,
      );
      const b = await timeUntilExit(["run", "-A", empty]);
      if (i > 0) { // the first of each warms the cache
        registry.push(a);
        baseline.push(b);
      }
    }
    const measured = median(registry);
    const base = median(baseline);
    return {
      id: 8,
      what: "start-up: process start → registry listening",
      measured: `median ${formatMs(measured)}`,
      baseline: `deno run of an empty script: median ${formatMs(base)}`,
      ratio: `${(measured / base).toFixed(2)}×`,
      target: "≤ 2× empty",
      met: measured <= 2 * base,
      details: { runs, registryMs: registry, emptyMs: baseline },
    };
  } finally {
    await Deno.remove(empty);
  }
}

async function buildBundle(): Promise<string> {
  const out = `${ROOT}dist/p2pchat.js`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", "--output", out, "main.ts"],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!result.success) throw new Error(new TextDecoder().decode(result.stderr));
  return out;
}

/** Spawns `deno args…` and returns ms until a stdout line matches, then stops it. */
async function timeUntilLine(args: string[], pattern: RegExp): Promise<number> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  })
    .spawn();
  const decoder = new TextDecoder();
  let text = "";
  let elapsed = NaN;
  for await (const chunk of child.stdout) {
    text += decoder.decode(chunk, { stream: true });
    if (text.split("\n").some((line) => pattern.test(line))) {
      elapsed = performance.now() - started;
      child.kill("SIGTERM");
      break;
    }
  }
  await child.status;
  return elapsed;
}

async function timeUntilExit(args: string[]): Promise<number> {
  const started = performance.now();
  await new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "null" }).output();
  return performance.now() - started;
}
