import assert from "node:assert/strict";
import { createLogger, ThrottledWarning } from "../../log/mod.ts";

function recorder() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ write: (line) => lines.push(line) }) };
}

Deno.test("a throttled warning writes each kind at once, then one line per interval counting the rest", async () => {
  const { lines, logger } = recorder();
  const refused = new ThrottledWarning(logger, "incoming link refused", { intervalMs: 200 });
  for (let i = 0; i < 500; i++) refused.warn("timeout", { remote: `192.0.2.1:${1000 + i}` });
  refused.warn("bad_json", { remote: "192.0.2.2:5" });
  assert.equal(lines.length, 2, "the first of each kind, at once");
  assert.match(lines[0], /incoming link refused remote=192\.0\.2\.1:1000$/);
  assert.match(lines[1], /remote=192\.0\.2\.2:5$/);

  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(lines.length, 3, "one line ends the interval");
  // The newest occurrence, and the 498 between it and the first line.
  assert.match(lines[2], /remote=192\.0\.2\.1:1499 suppressed=498$/);
  refused.close();
});

Deno.test("closing a throttled warning writes what is still counted", () => {
  const { lines, logger } = recorder();
  const refused = new ThrottledWarning(logger, "connection refused", { intervalMs: 60_000 });
  refused.warn("rate_limited", { n: 1 });
  refused.warn("rate_limited", { n: 2 });
  refused.warn("rate_limited", { n: 3 });
  refused.close();
  assert.equal(lines.length, 2);
  assert.match(lines[1], /n=3 suppressed=1$/);
  refused.warn("rate_limited", { n: 4 });
  assert.equal(lines.length, 2, "counted, and no timer is left behind after close");
});
