/**
 * `deno task compile`: one executable per role plus `p2pchat` with both
 * subcommands, in dist/ (or `--out-dir DIR`). `deno compile` downloads its
 * `denort` base binary; where that is impossible, point DENORT_BIN at a copy
 * and run it again. Each executable is run once after it is built: one that
 * does not answer as p2pchat (a plain Deno, when DENORT_BIN is the `deno`
 * CLI rather than `denort`) is deleted and the task fails.
 */

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { waitAtMost } from "../async/mod.ts";

const PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-sys",
];

/** One executable: the arguments baked in before the user's own, and how it proves it is p2pchat. */
interface Target {
  baked: string[];
  check: string[];
  /** What the check prints first on stdout. */
  expect: RegExp;
}

const TARGETS: Record<string, Target> = {
  "p2pchat": { baked: [], check: ["--version"], expect: /^p2pchat \S+\n/ },
  "p2pchat-registry": {
    baked: ["registry"],
    check: ["--help"],
    expect: /^Usage: p2pchat registry /,
  },
  "p2pchat-peer": { baked: ["peer"], check: ["--help"], expect: /^Usage: p2pchat peer / },
};

const root = new URL("../", import.meta.url).pathname;
const outDir = parseArgs({ options: { "out-dir": { type: "string", default: "dist" } } })
  .values["out-dir"];
const suffix = Deno.build.os === "windows" ? ".exe" : "";
const denortBin = Deno.env.get("DENORT_BIN");
const decoder = new TextDecoder();

Deno.exit(await compileAll() ? 0 : 1);

async function compileAll(): Promise<boolean> {
  for (const [name, target] of Object.entries(TARGETS)) {
    const output = `${outDir}/${name}${suffix}`;
    const path = resolve(root, output);
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["compile", ...PERMISSIONS, "--output", path, "main.ts", ...target.baked],
      cwd: root,
      stdout: "inherit",
      stderr: "piped",
    }).output();
    const errors = decoder.decode(result.stderr);
    if (!result.success) {
      console.error(errors.trim());
      if (/base binary|denort/i.test(errors)) console.error(downloadHint());
      return false;
    }
    const problem = await notP2pchat(path, target);
    if (problem) {
      await Deno.remove(path).catch(() => {});
      console.error([
        `error: ${output} is not p2pchat: ${problem}. It was deleted.`,
        "DENORT_BIN must be a denort, not deno: deno compile uses DENORT_BIN as the base of",
        "each executable, and with the deno CLI as the base the result is a plain Deno that",
        "ignores p2pchat." + (denortBin ? ` DENORT_BIN is ${denortBin}.` : ""),
        `Get denort-${Deno.build.target}.zip of Deno ${Deno.version.deno} on a machine with ` +
        "internet access,",
        "and point DENORT_BIN at the denort inside it.",
      ].join("\n"));
      return false;
    }
    console.log(`built ${output} (checked: ${[name, ...target.check].join(" ")})`);
  }
  return true;
}

/** Why the executable at `path` does not answer as p2pchat, or `undefined` if it does. */
async function notP2pchat(path: string, target: Target): Promise<string | undefined> {
  const child = new Deno.Command(path, {
    args: target.check,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const output = child.output();
  if (!await waitAtMost(output, 20_000)) {
    child.kill("SIGKILL");
    await output;
    return `\`${target.check.join(" ")}\` did not finish within 20 s`;
  }
  const { code, stdout } = await output;
  const text = decoder.decode(stdout);
  if (code === 0 && target.expect.test(text)) return undefined;
  const first = text.split("\n")[0] || "(nothing)";
  return `\`${target.check.join(" ")}\` printed ${JSON.stringify(first)} (exit ${code})`;
}

function downloadHint(): string {
  const version = Deno.version.deno;
  const target = Deno.build.target;
  return `
deno compile could not get its base binary (denort ${version} for ${target}).
It downloads it from Deno's release server (the address is in the error above),
which this machine cannot reach. To build offline:
  1. on a machine with internet access, download denort-${target}.zip of Deno ${version}
  2. unzip it here, then run:
     DENORT_BIN=/path/to/denort deno task compile
     (DENORT_BIN must be that denort, not the deno CLI: a deno base gives a plain Deno)
${denortBin ? `(DENORT_BIN is set to ${denortBin}; check that file.)\n` : ""}\
The same entry points also run from the bundle:
  deno task bundle && deno run -A dist/p2pchat.js registry`;
}
