/** `p2pchat peer`: flags, the chosen interface, and a clean exit. */

import { createLogger, type Logger } from "../log/mod.ts";
import {
  DataDirBusyError,
  DataDirError,
  DEFAULT_LINK_LIMITS,
  DEFAULT_SENDER_LIMITS,
  defaultDataDir,
  IdentityError,
  type LinkLimits,
  parseLinkPaths,
  Peer,
  type PeerOptions,
  StoreError,
} from "../peer/mod.ts";
import { JsonInterface } from "../json/mod.ts";
import { TerminalInterface } from "../terminal/mod.ts";
import {
  advertiseProblem,
  formatHostPort,
  formatNetAddr,
  type HostPort,
  isLoopback,
  nameProblem,
  normalizeName,
} from "../protocol/mod.ts";
import type { ChatWeb } from "../web/mod.ts";
import {
  envName,
  type FlagSpec,
  formatFlags,
  hostPortFlag,
  integerFlag,
  parseFlags,
  UsageError,
} from "./flags.ts";
import { isAddressTaken, onShutdownSignal, printError, printLine, stdinLines } from "./process.ts";

const FLAGS: FlagSpec[] = [
  { name: "name", type: "string", value: "NAME", help: "your name in the chat (required)" },
  {
    name: "registry",
    type: "string",
    value: "HOST:PORT[,…]",
    help: "where the registry listens; a cluster's instances comma-separated",
    defaultText: "127.0.0.1:7070, then ask the LAN",
  },
  {
    name: "no-discovery",
    type: "boolean",
    help: "without --registry, do not ask the LAN (mDNS) for a registry",
  },
  {
    name: "listen",
    type: "string",
    value: "HOST:PORT",
    help: "where to accept direct links; port 0 picks a free one",
    defaultText: "0.0.0.0:0",
  },
  {
    name: "advertise",
    type: "string",
    value: "IP:PORT",
    help: "publish this address instead of the observed one (an IP; loopback only " +
      "with a registry on loopback)",
  },
  {
    name: "data-dir",
    type: "string",
    value: "DIR",
    help: "where your identity key and messages are kept",
    defaultText: defaultDataDir("NAME").replace(Deno.env.get("HOME") ?? "\0", "~"),
  },
  {
    name: "download-dir",
    type: "string",
    value: "DIR",
    help: "where accepted files are saved (/accept ID DIR picks another)",
    defaultText: `${
      defaultDataDir("NAME").replace(Deno.env.get("HOME") ?? "\0", "~")
    }/downloads, i.e. under --data-dir`,
  },
  {
    name: "accept-files-from",
    type: "string",
    value: "NAME,…",
    help: "accept files from these names without asking (if their key is the pinned one)",
  },
  {
    name: "link-paths",
    type: "string",
    value: "LIST",
    help: "how links may be made, tried in order: direct, punch (hole punching), relay",
    defaultText: "direct,punch,relay",
  },
  {
    name: "reconnect-max-ms",
    type: "string",
    value: "N",
    help: "longest wait between attempts to reach a lost registry",
    defaultText: "10000",
  },
  {
    name: "link-connections-per-second",
    type: "string",
    value: "N",
    help: "new link connections one IP may open per second (bursts of twice that)",
    defaultText: String(DEFAULT_LINK_LIMITS.connectionsPerSecondPerIp),
  },
  {
    name: "max-pending-links-per-ip",
    type: "string",
    value: "N",
    help: "link handshakes in progress from one IP",
    defaultText: String(DEFAULT_LINK_LIMITS.pendingPerIp),
  },
  {
    name: "max-pending-links",
    type: "string",
    value: "N",
    help: "link handshakes in progress in all",
    defaultText: String(DEFAULT_LINK_LIMITS.pending),
  },
  {
    name: "link-hello-ms",
    type: "string",
    value: "N",
    help: "time a new link connection has to send its first frame",
    defaultText: String(DEFAULT_LINK_LIMITS.helloMs),
  },
  {
    name: "max-links-per-ip",
    type: "string",
    value: "N",
    help: "links dialled from one IP (each peer has one link: a new one replaces the old)",
    defaultText: String(DEFAULT_LINK_LIMITS.linksPerIp),
  },
  {
    name: "link-idle-ms",
    type: "string",
    value: "N",
    help: "close a link after this long with no frame either way",
    defaultText: String(DEFAULT_LINK_LIMITS.idleMs),
  },
  {
    name: "sender-messages-per-minute",
    type: "string",
    value: "N",
    help: "chat messages one peer may send you per minute; more are refused and retried later",
    defaultText: String(DEFAULT_SENDER_LIMITS.messagesPerMinute),
  },
  {
    name: "sender-bytes-per-minute",
    type: "string",
    value: "N",
    help: "bytes of chat one peer may send you per minute (at least 65536)",
    defaultText: `${DEFAULT_SENDER_LIMITS.bytesPerMinute} (8 MiB)`,
  },
  {
    name: "sender-max-stored-bytes",
    type: "string",
    value: "N",
    help: "bytes you store from one peer at most; beyond, its messages fail",
    defaultText: `${DEFAULT_SENDER_LIMITS.maxStoredBytes} (64 MiB)`,
  },
  {
    name: "json",
    type: "boolean",
    help: "JSON lines on stdin/stdout instead of the terminal chat",
  },
  {
    name: "web",
    type: "string",
    value: "[HOST:PORT]",
    help: "also serve a chat window in the browser (loopback, locked by a secret URL)",
    defaultText: "127.0.0.1:0 when given alone",
  },
  {
    name: "open",
    type: "boolean",
    help: "with --web: open the chat window in the default browser",
  },
  { name: "help", short: "h", type: "boolean", help: "show this help" },
];

/** Where the web UI listens when `--web` is given without an address. */
const DEFAULT_WEB = "127.0.0.1:0";

/** `--help` text for peers. */
export const PEER_USAGE = `Usage: p2pchat peer --name NAME [flags]

Joins the chat: registers with the registry, then talks to other peers
directly. Chats with peers you know keep working while the registry is down,
and the peer re-registers by itself when it is back. Without --registry it
tries 127.0.0.1:7070, then asks the LAN (mDNS, _p2pchat._tcp.local) and says
which registry answered.

Flags (each also read from ${envName("some-flag")}, e.g. ${envName("name")}; flags win):
${formatFlags(FLAGS)}

Names are 1–32 letters, digits, "_", "-" or "."; names differing only in
case are the same name. Your peer ID is derived from your key: keep the data
directory to keep your ID.`;

interface ParsedPeerArgs {
  options: PeerOptions & { dataDir: string };
  json: boolean;
  /** Where to serve the web UI, if at all. */
  web?: HostPort;
  open: boolean;
}

/**
 * `--web` takes an optional value, which parseArgs cannot express: a bare
 * `--web` (last, or followed by another flag) gets the default address.
 */
function withWebDefault(args: string[]): string[] {
  return args.flatMap((arg, i) =>
    arg === "--web" && (i + 1 >= args.length || args[i + 1].startsWith("-"))
      ? [`--web=${DEFAULT_WEB}`]
      : [arg]
  );
}

/** Reads peer flags into options. Throws `UsageError`. */
export function peerOptions(
  args: string[],
  env?: Record<string, string | undefined>,
): { help: true } | ({ help: false } & ParsedPeerArgs) {
  const flags = parseFlags(withWebDefault(args), FLAGS, env);
  if (flags.help) return { help: true };
  if (typeof flags.name !== "string") {
    throw new UsageError(`Missing --name NAME (or ${envName("name")})`);
  }
  const name = normalizeName(flags.name);
  const problem = nameProblem(name);
  if (problem) throw new UsageError(`Invalid value for --name: ${problem}`);
  const options: ParsedPeerArgs["options"] = {
    name,
    dataDir: typeof flags["data-dir"] === "string"
      ? flags["data-dir"]
      : defaultDataDir(name, env ?? Deno.env.toObject()),
  };
  if (typeof flags.registry === "string") {
    const registries = flags.registry.split(",").map((text) => text.trim()).filter(Boolean);
    if (registries.length === 0) throw new UsageError("Invalid value for --registry: it is empty");
    const parsed = registries.map((text) => hostPortFlag("registry", text, "127.0.0.1"));
    options.registry = parsed.length === 1 ? parsed[0] : parsed;
  } else if (flags["no-discovery"] !== true) {
    options.discoverRegistry = true;
  }
  if (typeof flags.listen === "string") {
    options.listen = hostPortFlag("listen", flags.listen, "0.0.0.0");
  }
  if (typeof flags.advertise === "string") {
    const advertised = hostPortFlag("advertise", flags.advertise);
    // Loopback is for a registry on loopback. Without --registry the peer
    // tries 127.0.0.1 and then the LAN, and a LAN registry refuses it then.
    const given = options.registry === undefined ? [] : [options.registry].flat();
    const problem = advertiseProblem(advertised, {
      loopbackAllowed: given.every((registry) => isLoopback(registry.hostname)),
    });
    if (problem) throw new UsageError(`Invalid value for --advertise: ${problem}`);
    options.advertise = formatNetAddr(advertised);
  }
  if (typeof flags["download-dir"] === "string") {
    if (flags["download-dir"].trim() === "") {
      throw new UsageError("Invalid value for --download-dir: it is empty");
    }
    options.downloadDir = flags["download-dir"];
  }
  if (typeof flags["accept-files-from"] === "string") {
    const names = flags["accept-files-from"].split(",").map((n) => normalizeName(n.trim()))
      .filter(Boolean);
    for (const each of names) {
      const problem = nameProblem(each);
      if (problem) throw new UsageError(`Invalid value for --accept-files-from: ${problem}`);
    }
    options.acceptFilesFrom = names;
  }
  if (typeof flags["link-paths"] === "string") {
    try {
      options.linkPaths = parseLinkPaths(flags["link-paths"]);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new UsageError(`Invalid value for --link-paths: ${error.message}`);
    }
  }
  if (typeof flags["reconnect-max-ms"] === "string") {
    options.backoff = {
      maxMs: integerFlag("reconnect-max-ms", flags["reconnect-max-ms"], 100, 3_600_000),
    };
  }
  const linkLimits = linkLimitFlags(flags);
  if (Object.keys(linkLimits).length > 0) options.linkLimits = linkLimits;
  const senderLimits = senderLimitFlags(flags);
  if (senderLimits) options.senderLimits = senderLimits;
  let web: HostPort | undefined;
  if (typeof flags.web === "string" && !/^(0|false|no|off)$/i.test(flags.web)) {
    const text = /^(1|true|yes|on)$/i.test(flags.web) ? DEFAULT_WEB : flags.web;
    web = hostPortFlag("web", text, "127.0.0.1");
  }
  if (flags.open === true && !web) throw new UsageError("--open goes with --web");
  return { help: false, options, json: flags.json === true, web, open: flags.open === true };
}

/** Each link limit's flag, and the range it may take. */
const LINK_LIMIT_FLAGS: [keyof LinkLimits, string, number, number][] = [
  ["connectionsPerSecondPerIp", "link-connections-per-second", 1, 1_000_000],
  ["pendingPerIp", "max-pending-links-per-ip", 1, 1_000_000],
  ["pending", "max-pending-links", 1, 1_000_000],
  ["helloMs", "link-hello-ms", 50, 600_000],
  ["linksPerIp", "max-links-per-ip", 1, 1_000_000],
  ["idleMs", "link-idle-ms", 100, 86_400_000],
];

function linkLimitFlags(flags: Record<string, string | boolean | undefined>): Partial<LinkLimits> {
  const limits: Partial<LinkLimits> = {};
  for (const [key, flag, min, max] of LINK_LIMIT_FLAGS) {
    const text = flags[flag];
    if (typeof text === "string") limits[key] = integerFlag(flag, text, min, max);
  }
  return limits;
}

/**
 * A byte limit must hold at least one message of the longest text (16,384
 * UTF-16 units, up to 48 KiB in UTF-8), or such a message could never pass.
 */
const MIN_SENDER_BYTES = 65_536;

/** `--sender-*` flags, when any is given. Throws `UsageError`. */
function senderLimitFlags(
  flags: Record<string, string | boolean | undefined>,
): PeerOptions["senderLimits"] {
  const limits: NonNullable<PeerOptions["senderLimits"]> = {};
  const given = (flag: string) => typeof flags[flag] === "string" ? flags[flag] : undefined;
  const messages = given("sender-messages-per-minute");
  if (messages !== undefined) {
    limits.messagesPerMinute = integerFlag("sender-messages-per-minute", messages, 1, 1e9);
  }
  const bytes = given("sender-bytes-per-minute");
  if (bytes !== undefined) {
    limits.bytesPerMinute = integerFlag(
      "sender-bytes-per-minute",
      bytes,
      MIN_SENDER_BYTES,
      2 ** 50,
    );
  }
  const stored = given("sender-max-stored-bytes");
  if (stored !== undefined) {
    limits.maxStoredBytes = integerFlag(
      "sender-max-stored-bytes",
      stored,
      MIN_SENDER_BYTES,
      2 ** 50,
    );
  }
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/** Runs a peer until `/quit`, end of input, a signal, or a fatal refusal. */
export async function runPeer(args: string[]): Promise<number> {
  const parsed = peerOptions(args);
  if (parsed.help) {
    printLine(PEER_USAGE);
    return 0;
  }
  // Interactive: only errors on stderr, so log lines do not garble the prompt.
  const logger = createLogger({ level: parsed.json ? "info" : "error" });
  const json = parsed.json ? new JsonInterface(printLine) : undefined;
  // node:process only for the terminal chat (readline needs Node streams).
  const process = json ? undefined : (await import("node:process")).default;
  const terminal = process && new TerminalInterface({
    input: process.stdin,
    output: process.stdout,
    marksRead: parsed.web === undefined,
  });
  let peer: Peer;
  try {
    peer = await Peer.start({
      ...parsed.options,
      logger,
      onEvent: (event) => (json ?? terminal!).render(event),
    });
  } catch (error) {
    if (
      error instanceof IdentityError || error instanceof DataDirBusyError ||
      error instanceof StoreError
    ) {
      printError(`error: ${error.message}`);
      return 1;
    }
    if (error instanceof DataDirError) {
      // Where the data goes is the caller's choice, like a flag's value: status 2.
      printError(`error: cannot use --data-dir ${error.dataDir}: ${error.problem}`);
      return 2;
    }
    if (isAddressTaken(error)) {
      const where = formatHostPort(parsed.options.listen ?? { hostname: "0.0.0.0", port: 0 });
      printError(
        `error: cannot listen on ${where}: ${error.message}; choose another with --listen HOST:PORT`,
      );
      return 1;
    }
    throw error;
  }
  const ui = (json ?? terminal)!;
  let web: ChatWeb | undefined;
  if (parsed.web) {
    const { ChatWeb } = await import("../web/mod.ts");
    try {
      web = ChatWeb.start({
        peer,
        listen: parsed.web,
        logger,
        // Each address opens one window; once it is used, here is the next.
        onNewUrl: (url) => ui.render({ event: "web", url }),
      });
      ui.render({ event: "web", url: web.url });
      if (parsed.open) openInBrowser(web.url, logger);
    } catch (error) {
      if (!isAddressTaken(error)) throw error;
      printError(
        `error: cannot serve the web UI on ${formatHostPort(parsed.web)}: ${error.message}; ` +
          `choose another with --web HOST:PORT`,
      );
      await peer.shutdown();
      return 1;
    }
  }
  const input = json ? json.run(peer, stdinLines()) : terminal!.run(peer);
  const outcome = await Promise.race([
    input.then(() => 0),
    onShutdownSignal().then(() => 0),
    peer.finished.then(() => 0, () => 1),
  ]);
  await web?.shutdown();
  await peer.shutdown();
  return outcome;
}

/** Best effort: hands `url` to the desktop's browser opener. */
function openInBrowser(url: string, logger: Logger): void {
  const [command, ...args] = Deno.build.os === "darwin"
    ? ["open", url]
    : Deno.build.os === "windows"
    ? ["cmd", "/c", "start", "", url]
    : ["xdg-open", url];
  try {
    new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "null" }).spawn()
      .unref();
  } catch (error) {
    logger.warn("could not open a browser; open the URL yourself", { error: String(error) });
  }
}
