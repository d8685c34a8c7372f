/**
 * The packaged entry point the end-to-end tests run: `deno bundle` of
 * main.ts, built once per test process, so every test exercises exactly
 * what `deno task bundle` ships.
 */

const ROOT = new URL("../..", import.meta.url);
const BUNDLE = new URL("dist/p2pchat.js", ROOT);

let building: Promise<string> | undefined;

/** Path of a fresh bundle (built on first call). */
export function bundlePath(): Promise<string> {
  building ??= build();
  return building;
}

async function build(): Promise<string> {
  await Deno.mkdir(new URL("dist/", ROOT), { recursive: true });
  // Build beside the target and rename, so a parallel run never sees half a file.
  const temporary = new URL(`dist/.p2pchat.${crypto.randomUUID()}.js`, ROOT);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", "--output", temporary.pathname, "main.ts"],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`deno bundle failed:\n${new TextDecoder().decode(output.stderr)}`);
  }
  await Deno.rename(temporary, BUNDLE);
  return BUNDLE.pathname;
}
