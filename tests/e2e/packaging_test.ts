import assert from "node:assert/strict";
import { bundlePath } from "../support/bundle.ts";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";

const ROOT = new URL("../..", import.meta.url);

/** The bundle commands README gives, without their role and flags: `deno run -A dist/p2pchat.js`. */
async function readmeBundleCommands(): Promise<{ registry: string[]; peer: string[] }> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const command = (role: string) => {
    const found = new RegExp(`\`(deno run [^\`]*dist/p2pchat\\.js) ${role}\\b[^\`]*\``)
      .exec(readme)?.[1];
    assert.ok(found, `README gives a command that runs the bundle's ${role}`);
    return found.split(/\s+/).slice(1); // the arguments to deno
  };
  return { registry: command("registry"), peer: command("peer") };
}

Deno.test("the bundle command README gives starts both roles", async () => {
  await using dir = await tempDir();
  const commands = await readmeBundleCommands();
  const bundle = await bundlePath();
  const asGiven = (args: string[]) => args.map((arg) => arg === "dist/p2pchat.js" ? bundle : arg);
  await using registry = await RegistryProcess.start(["--no-dashboard"], {
    denoArgs: asGiven(commands.registry),
  });
  await using peer = await PeerProcess.start("b1", {
    registry: registry.address,
    dataDir: `${dir.path}/b1`,
    denoArgs: asGiven(commands.peer),
  });
  assert.equal(peer.all("registered").length, 1);
});

Deno.test("compile checks what it built: with deno as DENORT_BIN it fails loudly", async () => {
  await using dir = await tempDir();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "build/compile.ts", "--out-dir", dir.path],
    cwd: ROOT,
    env: { DENORT_BIN: Deno.execPath() },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 1, stderr);
  assert.doesNotMatch(stdout, /^built /m, "nothing is reported built");
  assert.match(stderr, /is not p2pchat: `--version` printed "deno \d/);
  assert.match(stderr, /DENORT_BIN must be a denort, not deno/);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir.path)), [], "the plain Deno is deleted");
});
