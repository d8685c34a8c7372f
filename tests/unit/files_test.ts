import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { numberedName, safeFileName } from "../../peer/files/mod.ts";
import { Identity, Peer } from "../../peer/mod.ts";
import { parseJsonCommand } from "../../json/mod.ts";
import { parseTerminalLine, TerminalInterface } from "../../terminal/mod.ts";
import { parseLinkMessage } from "../../protocol/mod.ts";

Deno.test("a file name from another peer becomes one plain name, never a path", () => {
  const cases: [string, string][] = [
    ["../../x", "x"],
    ["/etc/passwd", "passwd"],
    ["C:\\Windows\\system.ini", "system.ini"],
    ["..\\..\\boot.ini", "boot.ini"],
    ["a\u0000b.txt", "a_b.txt"],
    ["CON", "_CON"],
    ["nul.txt", "_nul.txt"],
    ["com1.tar.gz", "_com1.tar.gz"],
    ["lpt9", "_lpt9"],
    ["..", "file"],
    ["...", "file"],
    [".bashrc", "bashrc"],
    ["report. ", "report"],
    ['what?<>:"|*.txt', "what_______.txt"],
    ["line\nbreak.txt", "line_break.txt"],
    ["holiday photos.tar", "holiday photos.tar"],
    ["résumé.pdf", "résumé.pdf"],
    ["/", "file"],
  ];
  for (const [name, safe] of cases) assert.equal(safeFileName(name), safe, JSON.stringify(name));
  assert.ok(safeFileName("a".repeat(300) + ".txt").endsWith(".txt"));
  assert.ok(safeFileName("a".repeat(300) + ".txt").length <= 120);
});

Deno.test("free names are numbered before the extension", () => {
  assert.equal(numberedName("report.pdf", 0), "report.pdf");
  assert.equal(numberedName("report.pdf", 1), "report (1).pdf");
  assert.equal(numberedName("archive.tar.gz", 2), "archive.tar (2).gz");
  assert.equal(numberedName("README", 3), "README (3)");
});

Deno.test("/send, /files, /accept and /decline parse, with paths and directories that hold spaces", () => {
  const command = (line: string) => {
    const input = parseTerminalLine(line, undefined);
    assert.equal(input.kind, "command");
    return input.kind === "command" ? input.command : undefined;
  };
  assert.deepEqual(command("/send bob ~/My Documents/report.pdf"), {
    cmd: "send_file",
    to: "bob",
    path: "~/My Documents/report.pdf",
  });
  assert.deepEqual(command("/files"), { cmd: "files" });
  assert.deepEqual(command("/accept 019ad3f2"), { cmd: "accept_file", id: "019ad3f2" });
  assert.deepEqual(command("/accept 019ad3f2 /tmp/in box"), {
    cmd: "accept_file",
    id: "019ad3f2",
    dir: "/tmp/in box",
  });
  assert.deepEqual(command("/decline 019ad3f2"), { cmd: "decline_file", id: "019ad3f2" });
  assert.throws(
    () => parseTerminalLine("/send bob", undefined),
    /^CommandError: Usage: \/send NAME PATH$/,
  );
  assert.throws(() => parseTerminalLine("/accept", undefined), /Usage: \/accept ID \[DIR\]/);
  assert.throws(() => parseTerminalLine("/decline", undefined), /Usage: \/decline ID/);
});

Deno.test("--json file commands parse, and say what is missing", () => {
  assert.deepEqual(parseJsonCommand('{"cmd":"send_file","to":"bob","path":"/tmp/a"}'), {
    cmd: "send_file",
    to: "bob",
    path: "/tmp/a",
  });
  assert.deepEqual(parseJsonCommand('{"cmd":"accept_file","id":"019ad3"}'), {
    cmd: "accept_file",
    id: "019ad3",
  });
  assert.deepEqual(parseJsonCommand('{"cmd":"accept_file","id":"019ad3","dir":"/d"}'), {
    cmd: "accept_file",
    id: "019ad3",
    dir: "/d",
  });
  assert.deepEqual(parseJsonCommand('{"cmd":"decline_file","id":"019ad3"}'), {
    cmd: "decline_file",
    id: "019ad3",
  });
  assert.throws(
    () => parseJsonCommand('{"cmd":"send_file","to":"bob"}'),
    /Command "send_file" needs "path" as a non-empty string/,
  );
});

Deno.test("an offer whose digests do not match its chunk count is refused", () => {
  const offer = {
    type: "file_offer",
    id: "019ad3f2-0000-7000-8000-000000000000",
    sentAt: 1,
    name: "x",
    size: 600 * 1024,
    chunkSize: 256 * 1024,
    sha256: "0".repeat(64),
    chunks: new Uint8Array(64).toBase64(),
  };
  assert.throws(
    () => parseLinkMessage(offer, ""),
    /must hold 3 SHA-256 digests \(96 bytes\), got 64/,
  );
  assert.equal(
    parseLinkMessage({ ...offer, chunks: new Uint8Array(96).toBase64() }, "").type,
    "file_offer",
  );
  assert.throws(() => parseLinkMessage({ ...offer, chunkSize: 1024 }, ""), /chunkSize/);
  assert.throws(
    () => parseLinkMessage({ type: "file_chunk", id: offer.id, index: 0, data: "AAAA" }, ""),
    /binary frame/,
  );
});

Deno.test("a transfer's progress line is rewritten in place, and the line being typed is redrawn under it", async () => {
  await using peer = await Peer.start({
    name: "alice",
    identity: await Identity.generate(),
    registry: { hostname: "127.0.0.1", port: 9 },
    listen: { hostname: "127.0.0.1", port: 0 },
  });
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  let written = "";
  output.on("data", (chunk: Uint8Array) => written += new TextDecoder().decode(chunk));
  let now = 1_000_000;
  const terminal = new TerminalInterface({ input, output, color: false, now: () => now });
  const running = terminal.run(peer);
  input.write("@bob hel");
  await new Promise((resolve) => setTimeout(resolve, 50));
  const id = "019ad3f2-0000-7000-8000-000000000000";
  const size = 100 * 1024 * 1024;
  terminal.render({ event: "file_progress", id, bytes: 10 * 1024 * 1024, size });
  now += 1000;
  const mark = written.length;
  terminal.render({ event: "file_progress", id, bytes: 30 * 1024 * 1024, size });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const second = written.slice(mark);
  // Up one line, cleared, the new figures, then the prompt with what was typed.
  const UP = "\x1b[1A";
  assert.ok(second.includes(UP), JSON.stringify(second));
  assert.ok(second.includes("⇅ 019ad3f2  30%  20 MiB/s  ETA 0:04\n"), JSON.stringify(second));
  assert.ok(second.endsWith("\n\x1b[1G\x1b[0J> @bob hel\x1b[11G"), JSON.stringify(second));
  assert.equal(written.match(/⇅/g)?.length, 2);
  // Another line in between: the next progress line starts afresh below it.
  terminal.render({ event: "error", message: "something else" });
  const third = written.length;
  now += 1000;
  terminal.render({ event: "file_progress", id, bytes: 50 * 1024 * 1024, size });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(!written.slice(third).includes(UP));
  input.write("\n/quit\n");
  await running;
});
