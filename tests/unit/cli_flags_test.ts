import assert from "node:assert/strict";
import { envName, type FlagSpec, parseFlags, UsageError } from "../../cli/flags.ts";
import { peerOptions, registryOptions } from "../../cli/mod.ts";
import { defaultDataDir } from "../../peer/store/mod.ts";

const SPECS: FlagSpec[] = [
  { name: "listen", type: "string", value: "HOST:PORT", help: "where to listen" },
  { name: "data-dir", type: "string", value: "DIR", help: "where data goes" },
  { name: "json", type: "boolean", help: "JSON lines" },
  { name: "help", short: "h", type: "boolean", help: "show help" },
];

function usageError(message: string | RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    assert.equal(error.name, "UsageError");
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  };
}

// ---- parseFlags --------------------------------------------------------------------------------

Deno.test("flags are read from the command line", () => {
  assert.deepEqual(
    parseFlags(["--listen", "127.0.0.1:0", "--json", "--data-dir=/tmp/x"], SPECS, {}),
    { listen: "127.0.0.1:0", json: true, "data-dir": "/tmp/x" },
  );
  assert.deepEqual(parseFlags(["-h"], SPECS, {}), { help: true });
  assert.deepEqual(parseFlags([], SPECS, {}), {});
});

Deno.test("an unknown flag is named, with the closest known flag suggested", () => {
  assert.throws(
    () => parseFlags(["--listn", "1.2.3.4:5"], SPECS, {}),
    usageError("Unknown flag --listn (did you mean --listen?)"),
  );
  assert.throws(
    () => parseFlags(["--data", "x"], SPECS, {}),
    usageError("Unknown flag --data (did you mean --data-dir?)"),
  );
  assert.throws(() => parseFlags(["--bogus"], SPECS, {}), usageError("Unknown flag --bogus"));
  assert.throws(() => parseFlags(["-x"], SPECS, {}), usageError("Unknown flag -x"));
});

Deno.test("a flag given without its value says which value it needs", () => {
  assert.throws(
    () => parseFlags(["--listen"], SPECS, {}),
    usageError("Flag --listen needs a value (HOST:PORT)"),
  );
  assert.throws(
    () => parseFlags(["--listen", "--json"], SPECS, {}),
    usageError("Flag --listen needs a value (HOST:PORT)"),
  );
  assert.throws(
    () => parseFlags(["--json=yes"], SPECS, {}),
    usageError("Flag --json takes no value"),
  );
});

Deno.test("a stray argument is refused with a hint that values belong to flags", () => {
  assert.throws(
    () => parseFlags(["alice"], SPECS, {}),
    usageError('Unexpected argument "alice": values belong to a flag, as in --name alice'),
  );
  assert.throws(
    () => parseFlags(["--listen", ":1", "extra"], SPECS, {}),
    usageError(/^Unexpected argument "extra"/),
  );
});

Deno.test("flags missing from the command line come from P2PCHAT_ variables", () => {
  assert.equal(envName("listen"), "P2PCHAT_LISTEN");
  assert.equal(envName("data-dir"), "P2PCHAT_DATA_DIR");
  assert.deepEqual(
    parseFlags([], SPECS, { P2PCHAT_LISTEN: "0.0.0.0:9", P2PCHAT_DATA_DIR: "/d", LISTEN: "x" }),
    { listen: "0.0.0.0:9", "data-dir": "/d" },
  );
});

Deno.test("a flag on the command line wins over its environment variable", () => {
  assert.deepEqual(
    parseFlags(["--listen", "127.0.0.1:1"], SPECS, { P2PCHAT_LISTEN: "0.0.0.0:9" }),
    { listen: "127.0.0.1:1" },
  );
});

Deno.test("an empty environment variable counts as unset", () => {
  assert.deepEqual(parseFlags([], SPECS, { P2PCHAT_LISTEN: "", P2PCHAT_JSON: "" }), {});
});

Deno.test("boolean environment variables accept the usual spellings and refuse others", () => {
  for (const yes of ["1", "true", "TRUE", "yes", "on"]) {
    assert.deepEqual(parseFlags([], SPECS, { P2PCHAT_JSON: yes }), { json: true }, yes);
  }
  for (const no of ["0", "false", "No", "off"]) {
    assert.deepEqual(parseFlags([], SPECS, { P2PCHAT_JSON: no }), { json: false }, no);
  }
  assert.throws(
    () => parseFlags([], SPECS, { P2PCHAT_JSON: "maybe" }),
    usageError('P2PCHAT_JSON must be true or false, got "maybe"'),
  );
});

// ---- registry options --------------------------------------------------------------------------

Deno.test("registry options are absent unless given, so the registry's defaults apply", () => {
  const parsed = registryOptions([], {});
  assert.ok(!parsed.help);
  assert.deepEqual(parsed.options, {});
  assert.equal(parsed.logFormat, "text");
  assert.deepEqual(registryOptions(["--help"], {}), { help: true });
});

Deno.test("registry options are read from flags and from the environment", () => {
  const parsed = registryOptions(
    ["--listen", ":0", "--heartbeat-ms", "500", "--evict-after", "5", "--log-format", "json"],
    { P2PCHAT_MAX_PEERS: "100" },
  );
  assert.ok(!parsed.help);
  assert.deepEqual(parsed.options, {
    listen: { hostname: "0.0.0.0", port: 0 },
    heartbeatMs: 500,
    evictAfter: 5,
    maxPeers: 100,
  });
  assert.equal(parsed.logFormat, "json");
  assert.deepEqual(
    (registryOptions([], { P2PCHAT_LISTEN: "[::1]:7070" }) as typeof parsed).options,
    { listen: { hostname: "::1", port: 7070 } },
  );
});

Deno.test("registry options refuse a bad heartbeat interval naming the flag and value", () => {
  for (const bad of ["fast", "9", "3600001", "1.5", "-1", "", "1e3"]) {
    assert.throws(
      () => registryOptions([`--heartbeat-ms=${bad}`], {}),
      usageError(
        `Invalid value for --heartbeat-ms: ${
          JSON.stringify(bad)
        } is not a whole number from 10 to 3600000`,
      ),
    );
  }
  assert.throws(
    () => registryOptions([], { P2PCHAT_HEARTBEAT_MS: "soon" }),
    usageError(/^Invalid value for --heartbeat-ms: "soon"/),
  );
});

Deno.test("registry options refuse a bad address, eviction count or log format", () => {
  assert.throws(
    () => registryOptions(["--listen", "nowhere"], {}),
    usageError(
      'Invalid value for --listen: "nowhere" is not HOST:PORT with a port from 0 to 65535',
    ),
  );
  assert.throws(
    () => registryOptions(["--listen", "host:70000"], {}),
    usageError(/^Invalid value for --listen: "host:70000"/),
  );
  assert.throws(
    () => registryOptions(["--evict-after", "0"], {}),
    usageError('Invalid value for --evict-after: "0" is not a whole number from 1 to 1000'),
  );
  assert.throws(
    () => registryOptions(["--log-format", "xml"], {}),
    usageError('Invalid value for --log-format: "xml"; use text or json'),
  );
});

Deno.test("the dashboard's read token and stream cap come from flags or the environment", () => {
  const parsed = registryOptions(["--read-token", "r".repeat(16), "--max-sse-clients", "8"], {});
  assert.ok(!parsed.help);
  assert.equal(parsed.readToken, "r".repeat(16));
  assert.equal(parsed.maxLiveStreams, 8);
  const fromEnv = registryOptions([], { P2PCHAT_MAX_SSE_CLIENTS: "3" }) as typeof parsed;
  assert.equal(fromEnv.maxLiveStreams, 3);
  assert.equal(fromEnv.readToken, undefined);
  assert.throws(
    () => registryOptions(["--read-token", "short"], {}),
    usageError("Invalid value for --read-token: use at least 16 characters"),
  );
  assert.throws(
    () => registryOptions(["--read-token", "t".repeat(16), "--admin-token", "t".repeat(16)], {}),
    usageError("--read-token must differ from --admin-token (it cannot kick)"),
  );
  assert.throws(
    () => registryOptions(["--max-sse-clients", "0"], {}),
    usageError('Invalid value for --max-sse-clients: "0" is not a whole number from 1 to 100000'),
  );
});

// ---- peer options ------------------------------------------------------------------------------

Deno.test("peer options need a name, from the flag or P2PCHAT_NAME", () => {
  assert.throws(
    () => peerOptions([], {}),
    usageError("Missing --name NAME (or P2PCHAT_NAME)"),
  );
  const parsed = peerOptions(["--data-dir", "/tmp/alice"], { P2PCHAT_NAME: "alice" });
  assert.ok(!parsed.help);
  assert.equal(parsed.options.name, "alice");
  assert.deepEqual(peerOptions(["--help"], {}), { help: true });
});

Deno.test("peer options leave registry, listen and advertise to the defaults unless given", () => {
  const parsed = peerOptions(["--name", "alice", "--data-dir", "/tmp/a"], {});
  assert.deepEqual(parsed, {
    help: false,
    options: { name: "alice", dataDir: "/tmp/a", discoverRegistry: true },
    json: false,
    web: undefined,
    open: false,
  });
});

Deno.test("the link listener's limits are peer flags, from the command line or the environment", () => {
  const parsed = peerOptions([
    "--name",
    "a",
    "--link-connections-per-second",
    "5",
    "--max-pending-links-per-ip",
    "2",
    "--max-pending-links",
    "16",
    "--link-hello-ms",
    "500",
    "--max-links-per-ip",
    "4",
  ], { P2PCHAT_LINK_IDLE_MS: "1000" });
  assert.ok(!parsed.help);
  assert.deepEqual(parsed.options.linkLimits, {
    connectionsPerSecondPerIp: 5,
    pendingPerIp: 2,
    pending: 16,
    helloMs: 500,
    linksPerIp: 4,
    idleMs: 1000,
  });
  assert.throws(
    () => peerOptions(["--name", "a", "--max-links-per-ip", "0"]),
    usageError('Invalid value for --max-links-per-ip: "0" is not a whole number from 1 to 1000000'),
  );
});

Deno.test("a peer looks for the registry on the LAN only without --registry and --no-discovery", () => {
  const discovers = (args: string[], env: Record<string, string> = {}) => {
    const parsed = peerOptions(["--name", "a", ...args], env);
    assert.ok(!parsed.help);
    return parsed.options.discoverRegistry === true;
  };
  assert.equal(discovers([]), true);
  assert.equal(discovers(["--registry", "10.0.0.5:7070"]), false);
  assert.equal(discovers([], { P2PCHAT_REGISTRY: "10.0.0.5:7070" }), false);
  assert.equal(discovers(["--no-discovery"]), false);
  assert.equal(discovers([], { P2PCHAT_NO_DISCOVERY: "1" }), false);
});

Deno.test("the registry answers LAN discovery unless --no-discovery", () => {
  const on = registryOptions([], {});
  const off = registryOptions(["--no-discovery"], {});
  assert.ok(!on.help && !off.help);
  assert.equal(on.discovery, true);
  assert.equal(off.discovery, false);
});

Deno.test("--web takes an optional address; --open needs --web", () => {
  const bare = peerOptions(["--name", "a", "--web", "--json"], {});
  assert.ok(!bare.help);
  assert.deepEqual(bare.web, { hostname: "127.0.0.1", port: 0 });
  assert.equal(bare.json, true, "the flag after a bare --web is still read");
  const last = peerOptions(["--name", "a", "--web"], {});
  assert.ok(!last.help);
  assert.deepEqual(last.web, { hostname: "127.0.0.1", port: 0 });
  const given = peerOptions(["--name", "a", "--web", "127.0.0.1:8080", "--open"], {});
  assert.ok(!given.help);
  assert.deepEqual(given.web, { hostname: "127.0.0.1", port: 8080 });
  assert.equal(given.open, true);
  const fromEnv = peerOptions(["--name", "a"], { P2PCHAT_WEB: "yes" });
  assert.ok(!fromEnv.help);
  assert.deepEqual(fromEnv.web, { hostname: "127.0.0.1", port: 0 });
  assert.throws(
    () => peerOptions(["--name", "a", "--open"], {}),
    usageError("--open goes with --web"),
  );
  assert.throws(
    () => peerOptions(["--name", "a", "--web", "nowhere"], {}),
    usageError(/^Invalid value for --web: "nowhere"/),
  );
});

Deno.test("peer options read every flag", () => {
  const parsed = peerOptions([
    "--name",
    "Zoe\u0308",
    "--registry",
    ":7071",
    "--listen",
    ":0",
    "--advertise",
    "[2001:db8::1]:7000",
    "--data-dir",
    "/tmp/z",
    "--reconnect-max-ms",
    "5000",
    "--json",
  ], {});
  assert.deepEqual(parsed, {
    help: false,
    options: {
      name: "Zoë", // stored in NFC
      dataDir: "/tmp/z",
      registry: { hostname: "127.0.0.1", port: 7071 },
      listen: { hostname: "0.0.0.0", port: 0 },
      advertise: "[2001:db8::1]:7000",
      backoff: { maxMs: 5000 },
    },
    json: true,
    web: undefined,
    open: false,
  });
});

Deno.test("peer options refuse a name that breaks the naming rule, saying why", () => {
  assert.throws(
    () => peerOptions(["--name", "bob smith"], {}),
    usageError(
      'Invalid value for --name: Name "bob smith" is not allowed; use 1–32 letters of one script, digits, "_", "-" or "." (not "." or "..")',
    ),
  );
  assert.throws(
    () => peerOptions(["--name", ".."], {}),
    usageError(/^Invalid value for --name: Name "\.\." is not allowed/),
  );
  assert.throws(
    () => peerOptions(["--name", "x".repeat(33)], {}),
    usageError(/^Invalid value for --name: Name is 33 characters long/),
  );
  assert.throws(
    () => peerOptions(["--name", ""], {}),
    usageError(/^Missing --name|^Invalid value for --name: Name is empty/),
  );
});

Deno.test("peer options refuse an advertised address nobody could dial", () => {
  assert.throws(
    () => peerOptions(["--name", "alice", "--advertise", "203.0.113.1:0"], {}),
    usageError("Invalid value for --advertise: port 0 cannot be dialled"),
  );
  assert.throws(
    () => peerOptions(["--name", "alice", "--advertise", ":7000"], {}),
    usageError(/^Invalid value for --advertise: ":7000" is not HOST:PORT/),
  );
  const refused: [string[], RegExp][] = [
    [
      ["--advertise", "peer.example:7000"],
      /peer\.example:7000 is not an IP address; advertise an IP/,
    ],
    [["--advertise", "0.0.0.0:7000"], /0\.0\.0\.0:7000 is the unspecified address/],
    [["--advertise", "[::]:7000"], /\[::\]:7000 is the unspecified address/],
    [
      ["--registry", "192.0.2.10:7070", "--advertise", "127.0.0.1:7000"],
      /127\.0\.0\.1:7000 is a loopback address, so every peer on another machine would dial itself/,
    ],
    [
      ["--registry", "127.0.0.1:7070,192.0.2.10:7070", "--advertise", "[::1]:7000"],
      /\[::1\]:7000 is a loopback address/,
    ],
  ];
  for (const [args, why] of refused) {
    assert.throws(
      () => peerOptions(["--name", "alice", ...args], {}),
      usageError(why),
      args.join(" "),
    );
  }
});

Deno.test("peer options take a loopback --advertise only with a registry on loopback", () => {
  for (const registry of ["127.0.0.1:7070", "localhost:7070", "[::1]:7070"]) {
    const parsed = peerOptions(
      ["--name", "alice", "--registry", registry, "--advertise", "127.0.0.1:7000"],
      {},
    );
    assert.ok(!parsed.help);
    assert.equal(parsed.options.advertise, "127.0.0.1:7000", registry);
  }
  const mapped = peerOptions(["--name", "alice", "--advertise", "[::ffff:192.0.2.7]:7000"], {});
  assert.ok(!mapped.help);
  assert.equal(mapped.options.advertise, "192.0.2.7:7000", "written as the IPv4 address it is");
});

Deno.test("peer options refuse a bad registry address or reconnect limit", () => {
  assert.throws(
    () => peerOptions(["--name", "alice", "--registry", "localhost"], {}),
    usageError(/^Invalid value for --registry: "localhost" is not HOST:PORT/),
  );
  assert.throws(
    () => peerOptions(["--name", "alice", "--reconnect-max-ms", "99"], {}),
    usageError(
      'Invalid value for --reconnect-max-ms: "99" is not a whole number from 100 to 3600000',
    ),
  );
});

Deno.test({
  name: "peer options take the default data directory from the environment they are given",
  fn() {
    const env = {
      HOME: "/home/test",
      XDG_DATA_HOME: "/xdg-data",
      LOCALAPPDATA: "C:\\Users\\test\\AppData\\Local",
    };
    const parsed = peerOptions(["--name", "alice"], env);
    assert.ok(!parsed.help);
    assert.equal(parsed.options.dataDir, defaultDataDir("alice", env));
  },
});

// ---- the real command line -------------------------------------------------------------------

const MAIN_DIR = new URL("../..", import.meta.url);

/** Runs `deno run -A main.ts ...args` without any P2PCHAT_ variable leaking in. */
async function runMain(...args: string[]) {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([key]) => !key.startsWith("P2PCHAT_")),
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: MAIN_DIR,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("a bad flag exits 2 with its one line and a pointer to --help, not the usage", async () => {
  for (
    const [args, line] of [
      [["registry", "--bogus"], "error: Unknown flag --bogus"],
      [["peer", "--name", "a", "--listen", "nowhere"], /^error: Invalid value for --listen: /],
      [["peer"], "error: Missing --name NAME (or P2PCHAT_NAME)"],
      [["dance"], 'error: Unknown role "dance": use registry, peer or demo'],
    ] as const
  ) {
    const { code, stdout, stderr } = await runMain(...args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stdout, "");
    const lines = stderr.split("\n");
    assert.equal(lines.length, 3, `two lines and the final newline: ${stderr}`);
    if (typeof line === "string") assert.equal(lines[0], line);
    else assert.match(lines[0], line);
    assert.equal(lines[1], "run with --help for the flags");
  }
});

Deno.test("peer --help exits 0 with the usage on stdout and nothing on stderr", async () => {
  const { code, stdout, stderr } = await runMain("peer", "--help");
  assert.equal(code, 0);
  assert.equal(stderr, "");
  assert.match(stdout, /^Usage: p2pchat peer --name NAME \[flags\]\n/);
  assert.match(stdout, /--registry HOST:PORT/);
  assert.match(stdout, /P2PCHAT_NAME/);
});

Deno.test("registry --help says a token on the command line shows in ps, and names the variables", async () => {
  const { code, stdout } = await runMain("registry", "--help");
  assert.equal(code, 0);
  const adminToken = stdout.split("\n").find((line) => /^\s+--admin-token/.test(line));
  assert.match(adminToken ?? "", /on the command line it shows in ps: prefer P2PCHAT_ADMIN_TOKEN/);
  assert.match(
    stdout,
    /Prefer P2PCHAT_CLUSTER when the URL\nholds a password: flags show in the process list\./,
  );
  // Every limit against abuse is a flag (docs/SECURITY.md).
  for (
    const flag of [
      "--max-frame-bytes",
      "--max-frames-per-second",
      "--register-timeout-ms",
      "--max-bytes-per-second",
      "--public-address",
    ]
  ) assert.ok(stdout.includes(flag), `${flag} in --help`);
});

Deno.test("--link-paths chooses which paths a peer makes links by, in the order given", () => {
  const paths = (args: string[]) =>
    (peerOptions(["--name", "a", ...args], {}) as { options: { linkPaths?: string[] } })
      .options.linkPaths;
  assert.equal(paths([]), undefined, "absent: the peer's default, direct,punch,relay");
  assert.deepEqual(paths(["--link-paths", "relay"]), ["relay"]);
  assert.deepEqual(paths(["--link-paths", "punch, direct"]), ["punch", "direct"]);
  assert.throws(
    () => paths(["--link-paths", "direct,tunnel"]),
    usageError(
      'Invalid value for --link-paths: "tunnel" is not a link path; use some of direct,punch,relay',
    ),
  );
  assert.throws(
    () => paths(["--link-paths", "relay,relay"]),
    usageError('Invalid value for --link-paths: "relay" is named twice'),
  );
  assert.throws(() => paths(["--link-paths", ","]), usageError(/names no path/));
});

Deno.test("relay limits come from --no-relay, --relay-max, --relay-kbps and --relay-idle-ms", () => {
  const relay = (args: string[]) =>
    (registryOptions(args, {}) as { options: { relay?: unknown } }).options.relay;
  assert.equal(relay([]), undefined, "absent: the registry's defaults");
  assert.deepEqual(
    relay(["--relay-max", "5", "--relay-kbps", "0", "--relay-idle-ms", "60000"]),
    { maxCircuits: 5, kbps: 0, idleMs: 60000 },
  );
  assert.deepEqual(relay(["--no-relay"]), { enabled: false });
  assert.throws(
    () => relay(["--relay-kbps", "fast"]),
    usageError(
      'Invalid value for --relay-kbps: "fast" is not a whole number from 0 to 10000000',
    ),
  );
});

Deno.test("peer options read each sender limit, and refuse a byte limit below one long message", () => {
  const limits = (args: string[], env: Record<string, string> = {}) => {
    const parsed = peerOptions(["--name", "a", ...args], env);
    assert.ok(!parsed.help);
    return parsed.options.senderLimits;
  };
  assert.equal(limits([]), undefined, "defaults unless given");
  assert.deepEqual(
    limits(["--sender-messages-per-minute", "60", "--sender-max-stored-bytes", "1048576"]),
    { messagesPerMinute: 60, maxStoredBytes: 1048576 },
  );
  assert.deepEqual(limits([], { P2PCHAT_SENDER_BYTES_PER_MINUTE: "65536" }), {
    bytesPerMinute: 65536,
  });
  assert.throws(
    () => limits(["--sender-bytes-per-minute", "1000"]),
    (error: Error) =>
      error instanceof UsageError &&
      error.message ===
        'Invalid value for --sender-bytes-per-minute: "1000" is not a whole number from 65536 to 1125899906842624',
  );
  assert.throws(() => limits(["--sender-messages-per-minute", "0"]), UsageError);
});
