import assert from "node:assert/strict";
import { OpenCounter, TokenBucket, TokenBuckets } from "../../limits/mod.ts";

Deno.test("token buckets per key refuse one key past its burst and leave the others alone", () => {
  const buckets = new TokenBuckets(10, 3);
  const at = 1_000;
  assert.deepEqual([1, 2, 3, 4].map(() => buckets.take("10.0.0.1", 1, at)), [
    true,
    true,
    true,
    false,
  ]);
  assert.equal(buckets.take("10.0.0.2", 1, at), true, "another key has its own bucket");
  assert.equal(buckets.take("10.0.0.1", 1, at + 100), true, "one token back after 100 ms at 10/s");
  assert.equal(buckets.take("10.0.0.1", 1, at + 100), false);
});

Deno.test("token buckets forget keys whose bucket has refilled", () => {
  const buckets = new TokenBuckets(10, 5);
  for (let i = 0; i < 1000; i++) buckets.take(`10.0.${i >> 8}.${i & 255}`, 1, 0);
  assert.equal(buckets.size, 1000);
  // 5 tokens at 10/s are back after 500 ms: the next take sweeps the others away.
  buckets.take("192.0.2.1", 1, 600);
  assert.equal(buckets.size, 1);
});

Deno.test("an open counter refuses per key, then in total, and frees on close", () => {
  const open = new OpenCounter(2, 3);
  assert.equal(open.open("a"), null);
  assert.equal(open.open("a"), null);
  assert.equal(open.open("a"), "key");
  assert.equal(open.open("b"), null);
  assert.equal(open.open("c"), "total");
  open.close("a");
  assert.equal(open.open("c"), null);
  assert.equal(open.total, 3);
});

Deno.test("a token bucket says when it holds enough again, and takes back what was given", () => {
  const bucket = new TokenBucket(10, 100, 0); // 10 a second, 100 at once
  assert.ok(bucket.take(100, 0));
  assert.equal(bucket.msUntil(1, 0), 100);
  assert.equal(bucket.msUntil(10, 0), 1000);
  assert.equal(bucket.msUntil(500, 0), 10_000, "never more than the burst");
  bucket.give(5, 0);
  assert.equal(bucket.msUntil(5, 0), 0);
  assert.ok(bucket.take(5, 0));
  assert.equal(bucket.take(1, 0), false);
});
