import assert from "node:assert/strict";
import { backoffDelay } from "../../peer/link/mod.ts";

const lowest = () => 0;
const highest = () => 0.999;

Deno.test("backoff waits between half and all of a ceiling that doubles per attempt", () => {
  const ceilings = [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000];
  for (const [attempt, ceiling] of ceilings.entries()) {
    const low = backoffDelay(attempt, { random: lowest });
    const high = backoffDelay(attempt, { random: highest });
    assert.equal(low, ceiling / 2, `attempt ${attempt} with random() = 0`);
    assert.ok(
      high <= ceiling && high >= Math.floor(ceiling * 0.999),
      `attempt ${attempt} with random() = 0.999 waited ${high}, ceiling ${ceiling}`,
    );
  }
});

Deno.test("backoff spreads waits over the upper half of the ceiling", () => {
  assert.equal(backoffDelay(2, { random: () => 0.5 }), 750);
  assert.equal(backoffDelay(2, { random: () => 0.25 }), 625);
});

Deno.test("backoff never exceeds maxMs", () => {
  for (let attempt = 0; attempt < 40; attempt++) {
    const wait = backoffDelay(attempt, { maxMs: 3000, random: highest });
    assert.ok(wait <= 3000, `attempt ${attempt} waited ${wait}`);
  }
  assert.equal(backoffDelay(10, { maxMs: 3000, random: lowest }), 1500);
});

Deno.test("backoff honours a custom first ceiling", () => {
  assert.equal(backoffDelay(0, { initialMs: 100, random: lowest }), 50);
  assert.equal(backoffDelay(0, { initialMs: 100, random: highest }), 100);
  assert.equal(backoffDelay(3, { initialMs: 100, random: lowest }), 400);
});

Deno.test("backoff stays finite and capped for huge attempt numbers", () => {
  for (const attempt of [31, 64, 1024, 1e9, Number.MAX_SAFE_INTEGER, Infinity]) {
    const low = backoffDelay(attempt, { random: lowest });
    const high = backoffDelay(attempt, { random: highest });
    assert.equal(low, 5000, `attempt ${attempt}`);
    assert.ok(
      Number.isFinite(high) && high <= 10_000 && high >= 9990,
      `attempt ${attempt}: ${high}`,
    );
  }
  assert.equal(
    backoffDelay(1e9, { maxMs: Number.MAX_SAFE_INTEGER, random: lowest }),
    250 * 2 ** 30 / 2,
  );
});

Deno.test("backoff waits a whole number of milliseconds with the real random source", () => {
  for (let i = 0; i < 1000; i++) {
    const wait = backoffDelay(3);
    assert.ok(Number.isInteger(wait) && wait >= 1000 && wait <= 2000, `waited ${wait}`);
  }
});
