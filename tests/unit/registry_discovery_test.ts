import assert from "node:assert/strict";
import type { FoundRegistry } from "../../discovery/mod.ts";
import { LOCAL_REGISTRY, RegistryDiscovery } from "../../peer/registry_discovery.ts";

Deno.test("without --registry a peer tries 127.0.0.1:7070, then the LAN, and says what it found", async () => {
  const lan: (FoundRegistry | undefined)[] = [
    undefined,
    { registry: { hostname: "198.51.100.1", port: 7444 }, instance: "r", via: "eth0" },
    { registry: { hostname: "198.51.100.1", port: 7444 }, instance: "r", via: "eth0" },
    { registry: { hostname: "198.51.100.9", port: 7070 }, instance: "s", via: "eth0" },
  ];
  let asked = 0;
  const found: string[] = [];
  const discovery = new RegistryDiscovery({
    query: () => Promise.resolve(lan[asked++]),
    found: (f) => found.push(`${f.registry.hostname}:${f.registry.port}`),
  });
  const tries: string[] = [];
  for (let i = 0; i < 7; i++) {
    const next = await discovery.next();
    tries.push(`${next.hostname}:${next.port}`);
  }
  assert.deepEqual(tries, [
    "127.0.0.1:7070", // first: the local default
    "127.0.0.1:7070", // the LAN was silent: local again
    "198.51.100.1:7444", // the LAN answered
    "127.0.0.1:7070", // that registry was lost: local first again
    "198.51.100.1:7444", // then the LAN, same answer
    "127.0.0.1:7070",
    "198.51.100.9:7070", // a different one
  ]);
  assert.equal(asked, 4);
  // Said once per registry found, not on every reconnect.
  assert.deepEqual(found, ["198.51.100.1:7444", "198.51.100.9:7070"]);
  assert.deepEqual(LOCAL_REGISTRY, { hostname: "127.0.0.1", port: 7070 });
});
