import assert from "node:assert/strict";
import { FlakyProxy } from "../../demo/mod.ts";
import { waitAtMost } from "../../async/mod.ts";

Deno.test("a frozen proxy keeps the far side open and silent when the near side closes", async () => {
  using target = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using proxy = new FlakyProxy({ hostname: "127.0.0.1", port: target.addr.port });
  const near = await Deno.connect({ hostname: "127.0.0.1", port: proxy.address.port });
  using far = await target.accept();
  const buffer = new Uint8Array(16);

  proxy.freeze();
  near.close();
  // The far side hears nothing: no bytes, and no end either, as across a dead network.
  const read = far.read(buffer);
  assert.equal(await waitAtMost(read, 300), false, "the close was not passed on");
  proxy.thaw();
  assert.equal(await read, null, "thawing cuts what was held");
});
