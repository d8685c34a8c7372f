import assert from "node:assert/strict";
import {
  advertiseProblem,
  formatNetAddr,
  ipLiteral,
  isLoopback,
  isUnspecified,
} from "../../protocol/mod.ts";

Deno.test("ipLiteral() gives one spelling per address and nothing for names", () => {
  const same: [string, string][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["::FFFF:7f00:1", "127.0.0.1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:DB8::0:1", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
  ];
  for (const [text, canonical] of same) assert.equal(ipLiteral(text), canonical, text);
  for (
    const text of [
      "localhost",
      "chat.example",
      "256.1.1.1",
      "01.2.3.4",
      "1.2.3",
      "[::1]",
      "zz::1",
      "",
    ]
  ) {
    assert.equal(ipLiteral(text), undefined, text);
  }
});

Deno.test("formatNetAddr() writes what a peer signs and a registry compares", () => {
  assert.equal(formatNetAddr({ hostname: "::ffff:10.0.0.5", port: 7070 }), "10.0.0.5:7070");
  assert.equal(formatNetAddr({ hostname: "::1", port: 7070 }), "[::1]:7070");
  assert.equal(formatNetAddr({ hostname: "chat.example", port: 1 }), "chat.example:1");
});

Deno.test("loopback and unspecified addresses are known in every spelling", () => {
  for (const host of ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "localhost"]) {
    assert.ok(isLoopback(host), host);
  }
  for (const host of ["192.0.2.1", "::ffff:192.0.2.1", "::", "chat.example"]) {
    assert.ok(!isLoopback(host), host);
  }
  for (const host of ["0.0.0.0", "::", "0:0::0"]) assert.ok(isUnspecified(host), host);
  assert.ok(!isUnspecified("0.0.0.1"));
});

Deno.test("advertiseProblem() takes dialable IP literals, loopback only when allowed", () => {
  const loopbackAllowed = false;
  assert.equal(
    advertiseProblem({ hostname: "203.0.113.5", port: 7000 }, { loopbackAllowed }),
    undefined,
  );
  assert.equal(
    advertiseProblem({ hostname: "127.0.0.1", port: 7000 }, { loopbackAllowed: true }),
    undefined,
  );
  const problems: [string, number, RegExp][] = [
    ["127.0.0.1", 7000, /is a loopback address/],
    ["::ffff:127.0.0.1", 7000, /is a loopback address/],
    ["0.0.0.0", 7000, /unspecified address/],
    ["203.0.113.5", 0, /port 0 cannot be dialled/],
    ["chat.example", 7000, /is not an IP address/],
  ];
  for (const [hostname, port, why] of problems) {
    assert.match(advertiseProblem({ hostname, port }, { loopbackAllowed }) ?? "", why, hostname);
  }
});
