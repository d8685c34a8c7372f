import assert from "node:assert/strict";
import { preview, underSender } from "../../terminal/message_text.ts";

Deno.test("a message is named by its first words, quoted, cut at a word", () => {
  assert.equal(preview("lunch?"), '"lunch?"');
  assert.equal(
    preview("see you tomorrow at the usual place by the river"),
    '"see you tomorrow at the usual…"',
  );
  assert.equal(preview("first line\nsecond line"), '"first line second line"');
  assert.equal(preview("x".repeat(40)), `"${"x".repeat(32)}…"`);
  assert.equal(preview('say "hi"'), '"say \\"hi\\""');
});

Deno.test("lines after the first are indented to where the text starts", () => {
  assert.equal(underSender("12:00 bob: ", 11, "one"), "12:00 bob: one");
  assert.equal(
    underSender("\x1b[1m12:00 bob\x1b[0m: ", 11, "one\r\ntwo\nthree"),
    "\x1b[1m12:00 bob\x1b[0m: one\n           two\n           three",
  );
});
