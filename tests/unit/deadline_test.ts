import assert from "node:assert/strict";
import { DeadlineError, Notifier, waitAtMost, within } from "../../async/mod.ts";

Deno.test("within() passes on a value that comes in time", async () => {
  assert.equal(await within(Promise.resolve(7), 1000, "seven"), 7);
});

Deno.test("within() passes on a rejection that comes in time", async () => {
  await assert.rejects(within(Promise.reject(new TypeError("bad")), 1000, "x"), TypeError);
});

Deno.test("within() names what did not come, and how long it waited", async () => {
  const never = new Promise<number>(() => {});
  await assert.rejects(within(never, 20, `"welcome" from 127.0.0.1:7070`), (error) => {
    assert.ok(error instanceof DeadlineError);
    assert.equal(error.message, `No "welcome" from 127.0.0.1:7070 within 20 ms`);
    assert.equal(error.ms, 20);
    return true;
  });
});

Deno.test("within() hands a value that comes too late to onLate, and ignores a late failure", async () => {
  const late = Promise.withResolvers<string>();
  const closed: string[] = [];
  await assert.rejects(within(late.promise, 10, "conn", { onLate: (v) => closed.push(v) }));
  late.resolve("socket");
  await late.promise;
  assert.deepEqual(closed, ["socket"]);

  const failing = Promise.withResolvers<string>();
  await assert.rejects(within(failing.promise, 10, "conn"), DeadlineError);
  failing.reject(new Error("too late to matter")); // no unhandled rejection
});

Deno.test("within() does not call onLate for a value in time", async () => {
  const closed: number[] = [];
  assert.equal(await within(Promise.resolve(1), 1000, "one", { onLate: (v) => closed.push(v) }), 1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(closed, []);
});

Deno.test("waitAtMost() says whether the promise settled in time", async () => {
  assert.equal(await waitAtMost(Promise.resolve(), 1000), true);
  assert.equal(await waitAtMost(new Promise(() => {}), 10), false);
  await assert.rejects(waitAtMost(Promise.reject(new RangeError("no")), 1000), RangeError);
});

Deno.test("a Notifier wakes every waiter once per notify", async () => {
  const changes = new Notifier();
  const woken: string[] = [];
  const a = changes.next().then(() => woken.push("a"));
  const b = changes.next().then(() => woken.push("b"));
  changes.notify();
  await Promise.all([a, b]);
  assert.deepEqual(woken.sort(), ["a", "b"]);
  assert.equal(await waitAtMost(changes.next(), 10), false, "a new wait needs a new notify");
});

Deno.test("Notifier.until() re-checks at every notify, and gives up after its time", async () => {
  const changes = new Notifier();
  const lines: string[] = [];
  const ready = changes.until(() => lines.find((line) => line.startsWith("ready")), 1000);
  lines.push("starting");
  changes.notify();
  lines.push("ready on :7070");
  changes.notify();
  assert.equal(await ready, "ready on :7070");
  assert.equal(await changes.until(() => undefined, 20), undefined);
  await assert.rejects(
    changes.until(() => {
      throw new Error("the stream ended");
    }, 1000),
    /the stream ended/,
  );
});
