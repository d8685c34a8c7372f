import assert from "node:assert/strict";
import { tempDir } from "../support/temp_dir.ts";

const MAIN_DIR = new URL("../..", import.meta.url);

/** Runs `deno run -A main.ts ...args` to its end, with no P2PCHAT_ variable leaking in. */
async function runMain(...args: string[]) {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([key]) => !key.startsWith("P2PCHAT_")),
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: MAIN_DIR,
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The single line a failed start printed on stderr (fails if there were more). */
function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  return lines[0];
}

Deno.test("--data-dir at a file, or where it cannot be created, is one line and status 2", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/not-a-dir`;
  await Deno.writeTextFile(file, "x");
  for (
    const [dataDir, problem] of [
      [file, "it is a file, not a directory"],
      [`${file}/below`, "part of that path is a file, not a directory"],
      ["/proc/nope", "it cannot be created or written: "],
    ]
  ) {
    const { code, stdout, stderr } = await runMain(
      "peer",
      "--name",
      "alice",
      "--registry",
      "127.0.0.1:9",
      "--json",
      "--data-dir",
      dataDir,
    );
    assert.equal(code, 2, dataDir);
    assert.equal(stdout, "", "nothing started");
    const line = oneLine(stderr);
    assert.ok(
      line.startsWith(`error: cannot use --data-dir ${dataDir}: ${problem}`),
      `${dataDir}: ${line}`,
    );
    assert.doesNotMatch(line, /Uncaught|NotCapable|--allow/);
  }
});

Deno.test("--advertise with a name, or loopback to a registry elsewhere, is one line and status 2", async () => {
  await using dir = await tempDir();
  for (
    const [advertise, problem] of [
      ["127.0.0.1:4000", "127.0.0.1:4000 is a loopback address, so every peer on another machine"],
      ["chat.example:4000", "chat.example:4000 is not an IP address; advertise an IP literal"],
    ]
  ) {
    const { code, stdout, stderr } = await runMain(
      "peer",
      "--name",
      "alice",
      "--registry",
      "192.0.2.10:7070",
      "--advertise",
      advertise,
      "--json",
      "--data-dir",
      `${dir.path}/alice`,
    );
    assert.equal(code, 2, advertise);
    assert.equal(stdout, "", "nothing started");
    assert.match(
      stderr.split("\n")[0],
      new RegExp(`^error: Invalid value for --advertise: ${problem.replaceAll(".", "\\.")}`),
    );
  }
});

Deno.test("a registry whose port is taken says which flag to change, and nothing is half up", async (t) => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = taken.addr.port;

  await t.step("the peers' port", async () => {
    const { code, stdout, stderr } = await runMain(
      "registry",
      "--listen",
      `127.0.0.1:${port}`,
      "--no-dashboard",
    );
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.match(
      oneLine(stderr),
      new RegExp(
        `^error: cannot listen for peers on 127\\.0\\.0\\.1:${port}: .+ --listen HOST:PORT$`,
      ),
    );
  });

  await t.step("the dashboard's port", async () => {
    const { code, stdout, stderr } = await runMain(
      "registry",
      "--listen",
      "127.0.0.1:0",
      "--dashboard",
      `127.0.0.1:${port}`,
    );
    assert.equal(code, 1);
    assert.equal(stdout, "", "no 'listening' line for a registry that is not fully up");
    assert.match(
      oneLine(stderr),
      new RegExp(
        `^error: cannot serve the dashboard on 127\\.0\\.0\\.1:${port}: .+ --dashboard HOST:PORT, ` +
          `or run without it: --no-dashboard$`,
      ),
    );
  });
});
