/**
 * `p2pchat demo`: a registry with its dashboard and three peers that chat now
 * and then, one of them behind a flaky link that drops out and comes back —
 * so a newcomer sees a living dashboard in one command.
 */

import { Dashboard, generateAdminToken } from "../dashboard/mod.ts";
import type { Logger } from "../log/mod.ts";
import { Identity, Peer, type PeerEvent } from "../peer/mod.ts";
import { formatHostPort, type HostPort, parseHostPort } from "../protocol/mod.ts";
import { Registry } from "../registry/mod.ts";
import { FlakyProxy } from "./flaky_proxy.ts";

/** How fast the demo lives; the defaults are made for watching. */
export interface DemoTiming {
  /** Heartbeat interval the registry announces. */
  heartbeatMs: number;
  /** Missed heartbeats before the registry evicts a peer. */
  evictAfter: number;
  /** From the start of one of linus's silences to the next. */
  flakeEveryMs: number;
  /** How long linus's network stays silent (its connection open, nothing arriving). */
  silentMs: number;
  /** Shortest pause between two chat lines (a random part as long again is added). */
  chatEveryMs: number;
}

/**
 * The dashboard calls a heartbeat late after 1.5 intervals and the registry
 * evicts after `evictAfter`: with these, linus shows late for 4.5 s, is
 * evicted 6 s into its 10 s silence, and re-registers after it.
 */
export const DEMO_TIMING: DemoTiming = {
  heartbeatMs: 1000,
  evictAfter: 6,
  flakeEveryMs: 20_000,
  silentMs: 10_000,
  chatEveryMs: 2000,
};

/** Options for {@linkcode runDemo}. */
export interface DemoOptions {
  /** Preferred registry address; a free port is used if it is taken. */
  registry: HostPort;
  /** Preferred dashboard address; a free port is used if it is taken. */
  dashboard: HostPort;
  /** Receives the demo's narration, one line at a time. */
  print: (line: string) => void;
  logger: Logger;
  /** Ends the demo. */
  signal: AbortSignal;
  /** Default {@linkcode DEMO_TIMING}. */
  timing?: DemoTiming;
}

const LINES = [
  "did the build pass?",
  "coffee in five?",
  "pushed the fix, have a look",
  "the registry dashboard is live, try the filter",
  "who broke the tests 🙃",
  "lunch at noon?",
  "reviewing your change now",
  "thanks!",
];

/** Runs until `signal` aborts, then stops everything it started. */
export async function runDemo(options: DemoOptions): Promise<void> {
  const { print, signal } = options;
  const timing = options.timing ?? DEMO_TIMING;
  const { heartbeatMs, evictAfter } = timing;
  // One peer reaches the registry through this proxy, so the registry must
  // know the proxy's address as one of its own (registrations are signed for
  // the address the peer dialled). Pointed at the registry once it runs.
  await using proxy = new FlakyProxy({ hostname: "127.0.0.1", port: 9 });
  await using registry = await withFallbackPort(
    options.registry,
    (listen) =>
      Registry.start({
        listen,
        heartbeatMs,
        evictAfter,
        publicAddresses: [formatHostPort(proxy.address)],
        logger: options.logger,
      }),
  );
  proxy.retarget(parseListen(registry));
  const adminToken = generateAdminToken();
  await using dashboard = await withFallbackPort(
    options.dashboard,
    (listen) =>
      Promise.resolve(
        Dashboard.start({ view: registry, listen, adminToken, logger: options.logger }),
      ),
  );
  print(`registry for peers:  ${registry.info().listen}`);
  print(`dashboard:           ${dashboard.url}`);
  print(`admin token:         ${adminToken}`);
  print(`join in yourself:    deno task peer --name you --registry ${registry.info().listen}`);
  print("Ctrl-C stops the demo.\n");

  const peers: Peer[] = [];
  const shownBroadcasts = new Set<string>();
  for (const [name, via] of [["ada", registry], ["grace", registry], ["linus", proxy]] as const) {
    const address = via instanceof FlakyProxy ? via.address : parseListen(via);
    peers.push(
      await Peer.start({
        name,
        identity: await Identity.generate(),
        registry: { hostname: "127.0.0.1", port: address.port },
        listen: { hostname: "127.0.0.1", port: 0 },
        backoff: { initialMs: 250, maxMs: 2000 },
        logger: options.logger,
        onEvent: (event) => narrate(name, event, print, shownBroadcasts),
      }),
    );
  }
  try {
    await Promise.all([
      chatter(peers, signal, timing.chatEveryMs),
      flake(proxy, timing, print, signal),
    ]);
  } finally {
    await Promise.all(peers.map((peer) => peer.shutdown()));
  }
}

export async function chatter(
  peers: Peer[],
  signal: AbortSignal,
  everyMs = DEMO_TIMING.chatEveryMs,
): Promise<void> {
  while (await sleep(everyMs * (1 + Math.random()), signal)) {
    const from = pick(peers);
    const text = pick(LINES);
    if (Math.random() < 0.15) {
      await from.broadcast(text);
      continue;
    }
    const to = pick(from.peers());
    if (to) await from.send(to.id, text);
  }
}

async function flake(
  proxy: FlakyProxy,
  timing: DemoTiming,
  print: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  while (await sleep(timing.flakeEveryMs - timing.silentMs, signal)) {
    print(
      `~ linus's network goes silent for ${seconds(timing.silentMs)}: its heartbeat turns late, ` +
        `and after ${seconds(timing.heartbeatMs * timing.evictAfter)} the registry evicts it`,
    );
    proxy.freeze();
    if (!await sleep(timing.silentMs, signal)) return;
    proxy.thaw();
    print("~ linus's network is back");
  }
}

export function narrate(
  name: string,
  event: PeerEvent,
  print: (line: string) => void,
  shownBroadcasts: Set<string>,
): void {
  switch (event.event) {
    case "message":
      if (event.broadcast) {
        // Every recipient hears a broadcast; say it once.
        if (shownBroadcasts.has(event.id)) break;
        shownBroadcasts.add(event.id);
      }
      print(`${event.from.name} → ${event.broadcast ? "everyone" : name}: ${event.text}`);
      break;
    case "registered":
      if (event.reconnects > 0) print(`${name} registered again (reconnect ${event.reconnects})`);
      break;
    case "registry_lost":
      print(
        `${name} lost the registry (${event.reason}); retrying in ${
          (event.retryInMs / 1000).toFixed(1)
        } s`,
      );
      break;
    case "error":
      print(`${name}: ${event.message}`);
      break;
  }
}

/** Starts on `preferred`, or on a free port of the same host if that one is taken. */
async function withFallbackPort<T>(
  preferred: HostPort,
  start: (listen: HostPort) => Promise<T>,
): Promise<T> {
  try {
    return await start(preferred);
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    return await start({ hostname: preferred.hostname, port: 0 });
  }
}

/** Where to reach the registry from this machine. */
function parseListen(registry: Registry): HostPort {
  const { hostname, port } = parseHostPort(registry.info().listen);
  return { hostname: hostname === "0.0.0.0" ? "127.0.0.1" : hostname, port };
}

function pick<T>(items: T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

/** Waits `ms`; false if `signal` aborted first. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", onAbort);
  });
}
