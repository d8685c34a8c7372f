/** `p2pchat registry`: flags, start-up lines, and a clean exit on signals. */

import type { Dashboard } from "../dashboard/mod.ts";
import { createLogger, type Logger } from "../log/mod.ts";
import {
  ClusterJoinError,
  type ClusterOptions,
  clusterUrlProblem,
  isWildcard,
  redactedClusterUrl,
  Registry,
  type RegistryOptions,
} from "../registry/mod.ts";
import {
  APP_VERSION,
  formatHostPort,
  formatNetAddr,
  type HostPort,
  ipLiteral,
  isLoopback,
  parseHostPort,
  PROTOCOL_VERSION,
} from "../protocol/mod.ts";
import {
  choiceFlag,
  envName,
  type FlagSpec,
  type FlagValues,
  formatFlags,
  hostPortFlag,
  integerFlag,
  parseFlags,
  UsageError,
} from "./flags.ts";
import { isAddressTaken, onShutdownSignal, printError, printLine } from "./process.ts";

/** Limits against abuse (docs/SECURITY.md): flag, option, range, help. */
const LIMIT_FLAGS: {
  name: string;
  option: keyof RegistryOptions;
  min: number;
  max: number;
  help: string;
  defaultText: string;
}[] = [
  {
    name: "max-frame-bytes",
    option: "maxFrameBytes",
    min: 1024,
    max: 1024 * 1024,
    help: "largest frame a peer may send",
    defaultText: "4096",
  },
  {
    name: "max-frames-per-second",
    option: "maxFramesPerSecond",
    min: 1,
    max: 1_000_000,
    help: "frames one connection may send per second (burst: 2×)",
    defaultText: "50",
  },
  {
    name: "register-timeout-ms",
    option: "registerTimeoutMs",
    min: 100,
    max: 600_000,
    help: "time a new connection has to finish registering",
    defaultText: "10000",
  },
  {
    name: "max-bytes-per-second",
    option: "maxBytesPerSecond",
    min: 1024,
    max: 1 << 30,
    help: "bytes one connection may send per second (burst: 4×)",
    defaultText: "8192",
  },
  {
    name: "max-unregistered-per-ip",
    option: "maxUnregisteredPerIp",
    min: 1,
    max: 1_000_000,
    help: "connections one IP may hold open before registering",
    defaultText: "256",
  },
  {
    name: "max-unregistered",
    option: "maxUnregistered",
    min: 1,
    max: 10_000_000,
    help: "connections open before registering, from everyone",
    defaultText: "1024",
  },
  {
    name: "max-peers-per-network",
    option: "maxPeersPerNetwork",
    min: 1,
    max: 10_000_000,
    help: "peers online from one network (see --network-prefixes)",
    defaultText: "256",
  },
  {
    name: "snapshot-interval-ms",
    option: "snapshotIntervalMs",
    min: 0,
    max: 3_600_000,
    help: "least time between two full peer lists to one peer",
    defaultText: "30000",
  },
  {
    name: "snapshot-bytes-per-minute",
    option: "snapshotBytesPerMinutePerIp",
    min: 1024,
    max: 2 ** 40,
    help: "bytes of full peer lists one IP may be sent per minute",
    defaultText: "67108864",
  },
];

const FLAGS: FlagSpec[] = [
  {
    name: "listen",
    type: "string",
    value: "HOST:PORT",
    help: "TCP address peers connect to; port 0 picks a free one",
    defaultText: "0.0.0.0:7070",
  },
  {
    name: "public-address",
    type: "string",
    value: "IP:PORT,…",
    help: "other addresses peers reach this registry at (port forward, proxy)",
    defaultText: "only the address a connection arrives at",
  },
  {
    name: "dashboard",
    type: "string",
    value: "HOST:PORT",
    help: "admin dashboard (HTTP); non-loopback needs --admin-token",
    defaultText: "127.0.0.1:7080",
  },
  { name: "no-dashboard", type: "boolean", help: "do not serve the dashboard" },
  {
    name: "no-discovery",
    type: "boolean",
    help: "do not answer LAN discovery (mDNS _p2pchat._tcp.local)",
  },
  {
    name: "admin-token",
    type: "string",
    value: "TOKEN",
    help: "token for kicking (and reading beyond loopback); on the command line it " +
      "shows in ps: prefer P2PCHAT_ADMIN_TOKEN",
    defaultText: "generated, printed once",
  },
  {
    name: "read-token",
    type: "string",
    value: "TOKEN",
    help: "token that reads the dashboard, API and /metrics but cannot kick",
  },
  {
    name: "max-sse-clients",
    type: "string",
    value: "N",
    help: "live dashboard streams served at once; more get 503",
    defaultText: "64",
  },
  {
    name: "heartbeat-ms",
    type: "string",
    value: "N",
    help: "heartbeat interval announced to peers, in ms",
    defaultText: "2000",
  },
  {
    name: "evict-after",
    type: "string",
    value: "N",
    help: "missed heartbeats before a peer is evicted",
    defaultText: "3",
  },
  {
    name: "max-peers",
    type: "string",
    value: "N",
    help: "most peers online at once; more are refused",
    defaultText: "50000",
  },
  {
    name: "registrations-per-minute",
    type: "string",
    value: "N",
    help: "registrations one IP may make per minute",
    defaultText: "600",
  },
  ...LIMIT_FLAGS.map(({ name, help, defaultText }) => ({
    name,
    type: "string" as const,
    value: "N",
    help,
    defaultText,
  })),
  {
    name: "network-prefixes",
    type: "string",
    value: "V4/V6",
    help: "prefix lengths that make one network for --max-peers-per-network",
    defaultText: "24/64",
  },
  {
    name: "cluster",
    type: "string",
    value: "URL",
    help: "share the peer table with other registries on Redis",
    defaultText: "alone; URL is redis://[user:pass@]host:port[/db]",
  },
  {
    name: "instance",
    type: "string",
    value: "NAME",
    help: "with --cluster: this instance's name on dashboards",
    defaultText: "the announced address",
  },
  {
    name: "announce",
    type: "string",
    value: "HOST:PORT",
    help: "with --cluster: where peers should dial this instance",
    defaultText: "the bound address",
  },
  {
    name: "no-relay",
    type: "boolean",
    help: "do not relay links for peers that cannot punch through",
  },
  {
    name: "relay-max",
    type: "string",
    value: "N",
    help: "most relay circuits open at once",
    defaultText: "1000",
  },
  {
    name: "relay-kbps",
    type: "string",
    value: "N",
    help: "rate per relay circuit and direction, kilobits/s (0: no limit)",
    defaultText: "1024",
  },
  {
    name: "relay-idle-ms",
    type: "string",
    value: "N",
    help: "a relay circuit idle this long is closed",
    defaultText: "120000",
  },
  {
    name: "log-format",
    type: "string",
    value: "text|json",
    help: "log lines on stderr as text or JSON",
    defaultText: "text",
  },
  { name: "help", short: "h", type: "boolean", help: "show this help" },
];

/** `--help` text for the registry. */
export const REGISTRY_USAGE = `Usage: p2pchat registry [flags]

Runs the registry: peers register here, learn who else is online, and then
talk to each other directly. Peers behind NATs are helped to meet (hole
punching), and relayed when that fails: relayed links stay end-to-end
encrypted, so no message passes through the registry in the clear.

Flags (each also read from ${envName("some-flag")}, e.g. ${envName("listen")}; flags win):
${formatFlags(FLAGS)}

On start it prints the address it actually bound. SIGINT or SIGTERM tells
every peer the registry is going away and exits with status 0.

With --cluster, several registries share one peer table: every peer sees
every other, names are unique across them, and a peer whose instance dies
registers on another (see docs/CLUSTER.md). Prefer ${envName("cluster")} when the URL
holds a password: flags show in the process list.`;

const DEFAULT_DASHBOARD: HostPort = { hostname: "127.0.0.1", port: 7080 };

/** Reads registry flags into options. Throws `UsageError`. */
export function registryOptions(args: string[], env?: Record<string, string | undefined>) {
  const flags = parseFlags(args, FLAGS, env);
  if (flags.help) return { help: true as const };
  const dashboard = flags["no-dashboard"] === true
    ? undefined
    : typeof flags.dashboard === "string"
    ? hostPortFlag("dashboard", flags.dashboard, "127.0.0.1")
    : DEFAULT_DASHBOARD;
  const adminToken = typeof flags["admin-token"] === "string" ? flags["admin-token"] : undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new UsageError("Invalid value for --admin-token: use at least 16 characters");
  }
  if (dashboard && !isLoopback(dashboard.hostname) && adminToken === undefined) {
    throw new UsageError(
      `The dashboard on ${formatHostPort(dashboard)} would be reachable from other machines: ` +
        `choose an admin token with --admin-token (or ${envName("admin-token")})`,
    );
  }
  const readToken = typeof flags["read-token"] === "string" ? flags["read-token"] : undefined;
  if (readToken !== undefined && readToken.length < 16) {
    throw new UsageError("Invalid value for --read-token: use at least 16 characters");
  }
  if (readToken !== undefined && readToken === adminToken) {
    throw new UsageError("--read-token must differ from --admin-token (it cannot kick)");
  }
  const maxLiveStreams = typeof flags["max-sse-clients"] === "string"
    ? integerFlag("max-sse-clients", flags["max-sse-clients"], 1, 100_000)
    : undefined;
  const options: RegistryOptions = {};
  if (typeof flags.listen === "string") {
    options.listen = hostPortFlag("listen", flags.listen, "0.0.0.0");
  }
  if (typeof flags["public-address"] === "string") {
    options.publicAddresses = publicAddressesFlag(flags["public-address"]);
  }
  if (typeof flags["heartbeat-ms"] === "string") {
    options.heartbeatMs = integerFlag("heartbeat-ms", flags["heartbeat-ms"], 10, 3_600_000);
  }
  if (typeof flags["evict-after"] === "string") {
    options.evictAfter = integerFlag("evict-after", flags["evict-after"], 1, 1000);
  }
  if (typeof flags["max-peers"] === "string") {
    options.maxPeers = integerFlag("max-peers", flags["max-peers"], 1, 10_000_000);
  }
  if (typeof flags["registrations-per-minute"] === "string") {
    options.registrationsPerMinutePerIp = integerFlag(
      "registrations-per-minute",
      flags["registrations-per-minute"],
      1,
      10_000_000,
    );
  }
  for (const limit of LIMIT_FLAGS) {
    const text = flags[limit.name];
    if (typeof text === "string") {
      (options as Record<string, unknown>)[limit.option] = integerFlag(
        limit.name,
        text,
        limit.min,
        limit.max,
      );
    }
  }
  if (typeof flags["network-prefixes"] === "string") {
    const match = /^(\d{1,2})\/(\d{1,3})$/.exec(flags["network-prefixes"]);
    const [ipv4, ipv6] = [Number(match?.[1]), Number(match?.[2])];
    if (!match || ipv4 > 32 || ipv6 > 128) {
      throw new UsageError(
        `Invalid value for --network-prefixes: ${
          JSON.stringify(flags["network-prefixes"])
        } is not V4/V6 prefix lengths such as 24/64`,
      );
    }
    options.networkPrefixes = { ipv4, ipv6 };
  }
  const cluster = clusterOptions(flags, options.listen);
  if (cluster) options.cluster = cluster;
  const relay: NonNullable<RegistryOptions["relay"]> = {};
  if (flags["no-relay"] === true) relay.enabled = false;
  if (typeof flags["relay-max"] === "string") {
    relay.maxCircuits = integerFlag("relay-max", flags["relay-max"], 0, 10_000_000);
  }
  if (typeof flags["relay-kbps"] === "string") {
    relay.kbps = integerFlag("relay-kbps", flags["relay-kbps"], 0, 10_000_000);
  }
  if (typeof flags["relay-idle-ms"] === "string") {
    relay.idleMs = integerFlag("relay-idle-ms", flags["relay-idle-ms"], 100, 86_400_000);
  }
  if (Object.keys(relay).length > 0) options.relay = relay;
  const logFormat = typeof flags["log-format"] === "string"
    ? choiceFlag("log-format", flags["log-format"], ["text", "json"])
    : "text";
  const discovery = flags["no-discovery"] !== true;
  return {
    help: false as const,
    options,
    logFormat,
    dashboard,
    adminToken,
    discovery,
    readToken,
    maxLiveStreams,
  };
}

/**
 * Reads `--public-address`: IP literals with ports, since a peer signs the
 * IP its connection reached, never a name. Throws `UsageError`.
 */
function publicAddressesFlag(text: string): string[] {
  return text.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
    const address = hostPortFlag("public-address", part);
    if (ipLiteral(address.hostname) === undefined || address.port === 0) {
      throw new UsageError(
        `Invalid value for --public-address: ${
          JSON.stringify(part)
        } must be an IP address and a port (peers sign the IP they reached, not a name)`,
      );
    }
    return formatNetAddr(address);
  });
}

/** Most characters in an instance name. */
const MAX_INSTANCE_NAME = 64;

/** Reads `--cluster`, `--instance` and `--announce`. Throws `UsageError`. */
function clusterOptions(
  flags: FlagValues,
  listen: HostPort | undefined,
): ClusterOptions | undefined {
  const url = typeof flags.cluster === "string" ? flags.cluster : undefined;
  if (url === undefined) {
    for (const flag of ["instance", "announce"]) {
      if (typeof flags[flag] === "string") throw new UsageError(`--${flag} goes with --cluster`);
    }
    return undefined;
  }
  const problem = clusterUrlProblem(url);
  // The URL may hold a password: name the variable or flag, never echo the value.
  if (problem) throw new UsageError(`Invalid value for --cluster: ${problem}`);
  const cluster: ClusterOptions = { url };
  if (typeof flags.announce === "string") {
    const announce = hostPortFlag("announce", flags.announce);
    if (announce.port === 0 || isWildcard(announce.hostname)) {
      throw new UsageError(
        "Invalid value for --announce: peers must be able to dial it (no port 0, no 0.0.0.0)",
      );
    }
    cluster.announce = formatHostPort(announce);
  } else if (isWildcard((listen ?? { hostname: "0.0.0.0" }).hostname)) {
    throw new UsageError(
      `With --cluster, say where peers should dial this instance: --announce HOST:PORT ` +
        `(--listen ${
          listen ? formatHostPort(listen) : "0.0.0.0:7070"
        } is not an address they can dial)`,
    );
  }
  if (typeof flags.instance === "string") {
    if (
      !/^[\p{L}\p{N}._:@\[\]-]+$/u.test(flags.instance) || flags.instance.length > MAX_INSTANCE_NAME
    ) {
      throw new UsageError(
        `Invalid value for --instance: ${
          JSON.stringify(flags.instance)
        } must be 1–${MAX_INSTANCE_NAME} letters, digits or . _ : @ - [ ]`,
      );
    }
    cluster.instance = flags.instance;
  }
  return cluster;
}

/** Runs the registry until a shutdown signal. Returns the exit status. */
export async function runRegistry(args: string[]): Promise<number> {
  const parsed = registryOptions(args);
  if (parsed.help) {
    printLine(REGISTRY_USAGE);
    return 0;
  }
  const logger = createLogger({ format: parsed.logFormat });
  let registry: Registry;
  try {
    registry = await Registry.start({ ...parsed.options, logger });
  } catch (error) {
    if (error instanceof ClusterJoinError) {
      logger.error(error.message);
      return 1;
    }
    if (!isAddressTaken(error)) throw error;
    const where = formatHostPort(parsed.options.listen ?? { hostname: "0.0.0.0", port: 7070 });
    printError(
      `error: cannot listen for peers on ${where}: ${error.message}; ` +
        `choose another address with --listen HOST:PORT`,
    );
    return 1;
  }
  // Both addresses are bound before anything says "listening": nothing is half up.
  let dashboard: Dashboard | undefined;
  let adminToken = parsed.adminToken;
  if (parsed.dashboard) {
    // Loaded only when served: with --no-dashboard the registry starts lighter.
    const { Dashboard, generateAdminToken } = await import("../dashboard/mod.ts");
    adminToken ??= generateAdminToken();
    try {
      dashboard = Dashboard.start({
        view: registry,
        listen: parsed.dashboard,
        adminToken,
        readToken: parsed.readToken,
        maxLiveStreams: parsed.maxLiveStreams,
        logger,
      });
    } catch (error) {
      if (!isAddressTaken(error)) throw error;
      await registry.shutdown();
      printError(
        `error: cannot serve the dashboard on ${formatHostPort(parsed.dashboard)}: ` +
          `${error.message}; choose another address with --dashboard HOST:PORT, ` +
          `or run without it: --no-dashboard`,
      );
      return 1;
    }
  }
  const info = registry.info();
  printLine(`p2pchat registry ${APP_VERSION} (protocol ${PROTOCOL_VERSION}, epoch ${info.epoch})`);
  printLine(`listening for peers on ${info.listen}`);
  const cluster = registry.cluster();
  if (cluster && parsed.options.cluster) {
    printLine(
      `cluster ${redactedClusterUrl(parsed.options.cluster.url)}: instance ${cluster.instance}, ` +
        `announced as ${cluster.announce}, list epoch ${cluster.list.epoch}`,
    );
  }
  if (dashboard) {
    printLine(`dashboard on ${dashboard.url}`);
    // Printed once, here, for the operator; never written to the log.
    if (!parsed.adminToken) {
      printLine(`admin token (generated; set --admin-token to choose): ${adminToken}`);
    }
  }
  const responder = parsed.discovery ? await answerLanDiscovery(info.listen, logger) : undefined;
  logger.info("registry started", {
    listen: info.listen,
    heartbeatMs: info.heartbeatMs,
    evictAfter: info.evictAfter,
  });
  await onShutdownSignal();
  logger.info("shutting down", { peers: registry.stats().peersOnline });
  await responder?.close();
  await dashboard?.shutdown();
  await registry.shutdown();
  return 0;
}

/**
 * Starts the mDNS responder for the registry bound at `listen`, printing
 * where it answers. Without a LAN to answer on (loopback only, no interface,
 * port 5353 not shareable) the registry runs on without it and logs why.
 */
async function answerLanDiscovery(listen: string, logger: Logger) {
  // Loaded only when used, like the dashboard.
  const { DiscoveryResponder, DiscoveryUnavailable } = await import("../discovery/mod.ts");
  try {
    const responder = await DiscoveryResponder.start({
      listen: parseHostPort(listen),
      protocol: PROTOCOL_VERSION,
      logger,
    });
    const where = responder.interfaces.map((lan) => `${lan.name} ${lan.address}`).join(", ");
    printLine(`answering LAN discovery as "${responder.advert.instance}" on ${where}`);
    return responder;
  } catch (error) {
    if (!(error instanceof DiscoveryUnavailable)) throw error;
    logger.info(`LAN discovery off: ${error.message}`);
    return undefined;
  }
}
