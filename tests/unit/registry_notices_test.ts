import assert from "node:assert/strict";
import { formatDuration, RegistryNotices } from "../../terminal/registry_notices.ts";

const REGISTRY = "127.0.0.1:7070";

function retry(attempts: number) {
  return {
    event: "registry_retry" as const,
    registry: REGISTRY,
    attempts,
    retryInMs: 5000,
    reason: "Connection refused (os error 111)",
  };
}

Deno.test("an outage gets one line when lost, at most one reminder a minute, one when back", () => {
  let now = 0;
  const notices = new RegistryNotices({ now: () => now });
  assert.equal(
    notices.line({ event: "registered", registry: REGISTRY, reconnects: 0 }),
    "* registered with 127.0.0.1:7070",
  );
  now = 1000;
  assert.match(
    notices.line({ event: "registry_lost", registry: REGISTRY, retryInMs: 200, reason: "gone" })!,
    /^\* registry 127\.0\.0\.1:7070 lost \(gone\) — retrying in the background/,
  );
  const printed: string[] = [];
  // Two and a half minutes of attempts every 5 s.
  for (let attempt = 1; attempt <= 30; attempt++) {
    now = 1000 + attempt * 5000;
    const line = notices.line(retry(attempt));
    if (line) printed.push(`${now / 1000}s ${line}`);
  }
  assert.deepEqual(printed, [
    "61s * registry 127.0.0.1:7070 still unreachable after 12 attempts " +
    "(Connection refused (os error 111)); retrying",
    "121s * registry 127.0.0.1:7070 still unreachable after 24 attempts " +
    "(Connection refused (os error 111)); retrying",
  ]);
  now = 152_000;
  assert.equal(
    notices.line({
      event: "registered",
      registry: REGISTRY,
      reconnects: 1,
      awayMs: 151_000,
      attempts: 31,
    }),
    "* registered again with 127.0.0.1:7070 after 2m 31s away (31 attempts, reconnect 1)",
  );
});

Deno.test("a registry never reached is 'cannot reach', said once and then once a minute", () => {
  let now = 0;
  const notices = new RegistryNotices({ now: () => now });
  assert.equal(
    notices.line(retry(1)),
    "* cannot reach the registry at 127.0.0.1:7070 (Connection refused (os error 111)) — " +
      "retrying in the background; is it running there? (--registry HOST:PORT)",
  );
  now = 30_000;
  assert.equal(notices.line(retry(2)), undefined);
  now = 60_000;
  assert.equal(
    notices.line(retry(3)),
    "* still cannot reach the registry at 127.0.0.1:7070 after 3 attempts " +
      "(Connection refused (os error 111))",
  );
  assert.equal(
    notices.line({ event: "registered", registry: REGISTRY, reconnects: 0 }),
    "* registered with 127.0.0.1:7070 after 4 attempts",
  );
});

Deno.test("durations read like a person would say them", () => {
  assert.equal(formatDuration(400), "0.4s");
  assert.equal(formatDuration(9_960), "10s");
  assert.equal(formatDuration(12_400), "12s");
  assert.equal(formatDuration(200_000), "3m 20s");
  assert.equal(formatDuration(7_500_000), "2h 5m");
});
