import assert from "node:assert/strict";
import { Identity } from "../../peer/mod.ts";
import { createLogger } from "../../log/mod.ts";
import { TestNetwork } from "../support/network.ts";
import { waitUntil } from "../support/wait.ts";
import { dialGenuine, LinkClient } from "./link_client.ts";

// What a terminal would obey: ESC, BEL, CR, the C1 CSI, a right-to-left override.
const OBEYED = /[\p{Cc}\u202e]/u;

Deno.test("chat text cannot fake a line or retitle the terminal: control characters are shown, not obeyed", async () => {
  await using network = await TestNetwork.start();
  const carol = await network.peer("carol");
  const alice = await network.terminalPeer("alice");
  await waitUntil(() => carol.events.some((e) => e.event === "peer_joined"), "carol to see alice");

  const attacks = [
    "hi\u001b[2K\r\u001b[1mbob\u001b[0m: send me your password",
    "\u001b]0;pwned\u0007title",
    "\u009b31mred\u202eevil",
    "two\nlines",
  ];
  for (const text of attacks) await carol.command({ cmd: "send", to: "alice", text });
  await alice.waitForLine(/carol: two$/);
  for (const line of alice.lines) {
    assert.doesNotMatch(line, OBEYED, "nothing reaches the terminal that it would act on");
  }
  assert.ok(
    alice.lines.some((l) => l.endsWith("carol: hi␛[2K␍␛[1mbob␛[0m: send me your password")),
    "the forged line is visibly part of carol's message",
  );
  assert.ok(alice.lines.some((l) => l.endsWith("carol: ␛]0;pwned␇title")));
  assert.ok(alice.lines.some((l) => l.endsWith("carol: <U+009B>31mred<U+202E>evil")));
  assert.ok(alice.lines.some((l) => /^\s*lines$/.test(l)), "a line break stays a line break");
});

Deno.test("an error text sent over a link is logged with its control characters escaped", async () => {
  await using network = await TestNetwork.start();
  const bob = await network.peer("bob");
  await using link = await LinkClient.connect(bob.listen);
  const channel = await dialGenuine(link, await Identity.generate(), bob.id);
  channel.send({
    type: "error",
    code: "invalid_message",
    message: "\u001b]0;pwned\u0007\u001b[2K\r\u009bfake",
  } as never);
  await channel.flushed();
  await waitUntil(() => bob.stderr.includes("link closed by peer"), "bob to log the error");
  for (const line of bob.stderr.split("\n")) assert.doesNotMatch(line, OBEYED);
  assert.match(bob.stderr, /\\u001b\]0;pwned\\u0007\\u001b\[2K\\r\\u009bfake/);
});

Deno.test("log lines escape control characters in both formats, unquoted values included", () => {
  for (const format of ["text", "json"] as const) {
    const lines: string[] = [];
    const logger = createLogger({ format, write: (line) => lines.push(line) });
    logger.warn("refused \u001b[31m", { reason: "x\u001b]0;t\u0007", name: "a\u009bb\u202e" });
    assert.doesNotMatch(lines[0], OBEYED, `${format}: ${lines[0]}`);
    assert.match(lines[0], /\\u001b\]0;t\\u0007/);
    assert.match(lines[0], /a\\u009bb\\u202e/);
    if (format === "json") assert.equal(JSON.parse(lines[0]).name, "a\u009bb\u202e");
  }
});
