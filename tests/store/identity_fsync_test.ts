/**
 * The identity key must survive a crash right after it was created: a real
 * peer store, traced with strace in a subprocess, must fsync the temporary
 * key file and its directory before the rename into place, and the directory
 * again after it.
 */

import assert from "node:assert/strict";
import { tempDir } from "../support/temp_dir.ts";

const STORE = import.meta.resolve("../../peer/store/mod.ts");

async function hasStrace(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("strace", { args: ["-V"], stdout: "null" }).output();
    return success;
  } catch {
    return false;
  }
}

Deno.test("the identity key is fsynced, with its directory, before and after the rename", async (t) => {
  // .ci/run installs strace, so in CI a missing strace fails here loudly.
  if (!await hasStrace() && !Deno.env.get("CI")) {
    console.warn("identity fsync test skipped: strace is not installed");
    return;
  }
  await using dir = await tempDir("p2pchat-fsync-test-");
  const dataDir = `${dir.path}/alice`;
  const trace = `${dir.path}/trace.txt`;
  const program = `import { Identity } from ${JSON.stringify(STORE)};\n` +
    `const { created } = await Identity.loadOrCreate(${JSON.stringify(dataDir)});\n` +
    `if (!created) Deno.exit(3);`;
  const { code, stderr } = await new Deno.Command("strace", {
    args: [
      "-f", // Deno does its file I/O on worker threads
      "-y", // print the path behind every file descriptor
      "-e",
      "trace=fsync,fdatasync,rename,renameat,renameat2",
      "-o",
      trace,
      Deno.execPath(),
      "eval",
      program,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));

  // Only the calls on the data directory, in the order they completed.
  const calls = (await Deno.readTextFile(trace)).split("\n")
    .filter((line) => line.includes(dataDir) && / = 0$/.test(line))
    .map((line) => {
      const call = /\b(fsync|fdatasync|rename|renameat2?)\((.*)\)\s+= 0$/.exec(line);
      assert.ok(call, `unexpected strace line: ${line}`);
      const [, name, args] = call;
      if (name.startsWith("rename")) return "rename";
      const path = /<([^>]*)>/.exec(args)![1];
      return path === dataDir ? "sync directory" : path.endsWith(".tmp") ? "sync temporary" : path;
    });
  await t.step(`calls: ${calls.join(", ")}`, () => {});
  assert.deepEqual(calls, ["sync temporary", "sync directory", "rename", "sync directory"]);
  const info = await Deno.stat(`${dataDir}/identity.json`);
  assert.equal((info.mode! & 0o777).toString(8), "600");
});
