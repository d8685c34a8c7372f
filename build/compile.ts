/**
 * `deno task compile`: one executable per role plus `p2pchat` with both
 * subcommands, in dist/. `deno compile` downloads its `denort` base binary;
 * where that is impossible, point DENORT_BIN at a copy and run it again.
 */

const PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-sys",
];

/** Executable name → arguments baked in before the user's own. */
const TARGETS: Record<string, string[]> = {
  "p2pchat": [],
  "p2pchat-registry": ["registry"],
  "p2pchat-peer": ["peer"],
};

const root = new URL("../", import.meta.url).pathname;
const suffix = Deno.build.os === "windows" ? ".exe" : "";
let failed = false;

for (const [name, baked] of Object.entries(TARGETS)) {
  const output = `dist/${name}${suffix}`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["compile", ...PERMISSIONS, "--output", output, "main.ts", ...baked],
    cwd: root,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const errors = new TextDecoder().decode(result.stderr);
  if (result.success) {
    console.log(`built ${output}`);
    continue;
  }
  failed = true;
  console.error(errors.trim());
  if (/base binary|denort/i.test(errors)) {
    const version = Deno.version.deno;
    const target = Deno.build.target;
    console.error(`
deno compile could not get its base binary (denort ${version} for ${target}).
It downloads it from Deno's release server (the address is in the error above),
which this machine cannot reach. To build offline:
  1. on a machine with internet access, download denort-${target}.zip of Deno ${version}
  2. unzip it here, then run:
     DENORT_BIN=/path/to/denort deno task compile
${
      Deno.env.get("DENORT_BIN")
        ? `(DENORT_BIN is set to ${Deno.env.get("DENORT_BIN")}; check that file.)\n`
        : ""
    }\
The same entry points also run from the bundle: deno task bundle && deno run -A dist/p2pchat.js registry`);
    break;
  }
}

Deno.exit(failed ? 1 : 0);
