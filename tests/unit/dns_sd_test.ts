import assert from "node:assert/strict";
import {
  decodeAnswer,
  decodeQuery,
  encodeAnswer,
  encodeQuery,
  onLink,
  type RegistryAdvert,
} from "../../discovery/mod.ts";
import { dnsLabel, hostLabel } from "../../discovery/dns_sd.ts";

const ADVERT: RegistryAdvert = {
  instance: "p2pchat registry on lab:7444",
  host: "lab",
  port: 7444,
  addresses: ["198.51.100.1", "10.9.0.1"],
  protocol: 1,
};

Deno.test("a registry answers the peer's query with where it listens", () => {
  const query = decodeQuery(encodeQuery(4242), ADVERT);
  assert.ok(query?.wantsService);
  const answer = encodeAnswer(ADVERT, query, { unicast: true });
  // Legacy unicast (RFC 6762 §6.7): the query's ID comes back.
  assert.equal((answer[0] << 8) | answer[1], 4242);
  assert.deepEqual(decodeAnswer(answer), [{
    instance: "p2pchat registry on lab:7444",
    port: 7444,
    addresses: ["198.51.100.1", "10.9.0.1"],
    protocol: 1,
  }]);
});

Deno.test("a multicast answer has ID 0 and no questions", () => {
  const query = decodeQuery(encodeQuery(7), ADVERT)!;
  const answer = encodeAnswer(ADVERT, query, { unicast: false });
  assert.equal((answer[0] << 8) | answer[1], 0);
  assert.equal((answer[4] << 8) | answer[5], 0); // QDCOUNT
  assert.equal(decodeAnswer(answer)[0].port, 7444);
});

Deno.test("queries for other services, answers and garbage are not questions to answer", () => {
  assert.equal(decodeQuery(new Uint8Array([1, 2, 3]), ADVERT), undefined);
  assert.equal(decodeQuery(new Uint8Array(0), ADVERT), undefined);
  const answer = encodeAnswer(ADVERT, decodeQuery(encodeQuery(1), ADVERT)!, { unicast: true });
  assert.equal(decodeQuery(answer, ADVERT), undefined);
  // A well-formed query about something else.
  const other = encodeQuery(9);
  const text = new TextDecoder().decode(other).replace("p2pchat", "printer");
  const otherQuery = decodeQuery(new TextEncoder().encode(text), ADVERT);
  assert.equal(otherQuery?.wantsService, false);
  assert.equal(otherQuery?.wantsTypes, false);
});

Deno.test("decodeAnswer reads nothing from garbage or an answer without SRV", () => {
  assert.deepEqual(decodeAnswer(new Uint8Array([0xff, 0xff, 0, 0, 0, 9])), []);
  assert.deepEqual(decodeAnswer(encodeQuery(3)), []);
  const query = decodeQuery(encodeQuery(3), ADVERT)!;
  const withoutService = encodeAnswer(ADVERT, { ...query, wantsService: false, wantsTypes: true }, {
    unicast: true,
  });
  assert.deepEqual(decodeAnswer(withoutService), []);
  for (let cut = 1; cut < 200; cut += 7) {
    const full = encodeAnswer(ADVERT, query, { unicast: true });
    assert.doesNotThrow(() => decodeAnswer(full.slice(0, full.length - cut)));
  }
});

Deno.test("instance and host labels fit DNS: at most 63 bytes, host in letters, digits, hyphens", () => {
  const long = dnsLabel(`p2pchat registry on ${"ü".repeat(40)}:7070`);
  assert.ok(new TextEncoder().encode(long).length <= 63);
  assert.ok(!long.includes("\uFFFD"));
  assert.equal(dnsLabel("a.b"), "a-b");
  assert.equal(hostLabel("My_Laptop.fritz.box"), "my-laptop");
  assert.equal(hostLabel("___"), "p2pchat-registry");
});

Deno.test("onLink compares addresses under the interface's netmask", () => {
  const lan = { name: "eth0", address: "198.51.100.7", netmask: "255.255.255.0" };
  assert.equal(onLink("198.51.100.200", lan), true);
  assert.equal(onLink("198.51.101.1", lan), false);
  assert.equal(onLink("not an address", lan), false);
  assert.equal(onLink("10.1.2.3", { name: "x", address: "10.0.0.1", netmask: "255.0.0.0" }), true);
});
