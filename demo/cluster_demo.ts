/**
 * `p2pchat demo --cluster`: a throwaway Redis, three registry instances
 * sharing their peer table on it (each a child process with its dashboard),
 * and six chatting peers spread over them. Every minute one instance is
 * SIGKILLed and, 20 s later, started again on its old address — so the
 * failover can be watched: its peers move, nobody sees them leave, and the
 * dashboards show the instance going unhealthy and coming back.
 */

import { generateAdminToken } from "../dashboard/mod.ts";
import type { Logger } from "../log/mod.ts";
import { Identity, Peer, type PeerEvent } from "../peer/mod.ts";
import { formatHostPort, type HostPort, parseHostPort } from "../protocol/mod.ts";
import { chatter, narrate, sleep } from "./demo.ts";
import { RedisServer, redisServerAvailable } from "./redis_server.ts";
import { RegistryChild } from "./registry_child.ts";

/** Options for {@linkcode runClusterDemo}. */
export interface ClusterDemoOptions {
  /** First instance's preferred address; the others take the next ports. */
  registry: HostPort;
  /** First dashboard's preferred address; the others take the next ports. */
  dashboard: HostPort;
  print: (line: string) => void;
  logger: Logger;
  signal: AbortSignal;
  /** Time between two kills (default one minute) and how long an instance stays dead (20 s). */
  killEveryMs?: number;
  deadForMs?: number;
}

const INSTANCES = ["a", "b", "c"];
const PEERS = ["ada", "grace", "linus", "barbara", "ken", "margaret"];

/** One instance: its name, the flags it is started with, the process while it runs. */
interface Instance {
  name: string;
  args: string[];
  child: RegistryChild | undefined;
}

/** Runs until `signal` aborts; returns the exit status (1 when Redis is not installed). */
export async function runClusterDemo(options: ClusterDemoOptions): Promise<number> {
  const { print, signal } = options;
  if (!await redisServerAvailable()) {
    print(
      "The cluster demo runs its own Redis, but redis-server is not on PATH. " +
        "Install it (Debian/Ubuntu: sudo apt-get install redis-server) and run it again.",
    );
    return 1;
  }
  await using redis = await RedisServer.start();
  print(`redis:         ${redis.url} (a throwaway server: temp directory, no persistence)`);
  const adminToken = generateAdminToken();
  const instances: Instance[] = [];
  try {
    for (const [i, name] of INSTANCES.entries()) {
      const instance = await startFirst(name, i, redis.url, adminToken, options);
      instances.push(instance);
      print(
        `instance ${name}:    peers on ${instance.child!.address}, dashboard ${
          instance.child!.dashboardUrl
        }`,
      );
    }
    print(`admin token:   ${adminToken}`);
    const addresses = instances.map((i) => i.child!.address);
    print(`join in:       deno task peer --name you --registry ${addresses.join(",")}`);
    print("Every minute one instance is killed (SIGKILL) and revived 20 s later. Ctrl-C stops.\n");

    const peers: Peer[] = [];
    const shownBroadcasts = new Set<string>();
    try {
      for (const [i, name] of PEERS.entries()) {
        // Each peer lists "its" instance first and the others after it.
        const own = i % addresses.length;
        const registry = [...addresses.slice(own), ...addresses.slice(0, own)].map((a) =>
          parseHostPort(a)
        );
        peers.push(
          await Peer.start({
            name,
            identity: await Identity.generate(),
            registry,
            listen: { hostname: "127.0.0.1", port: 0 },
            backoff: { initialMs: 250, maxMs: 2000 },
            logger: options.logger,
            onEvent: (event) => tell(name, event, print, shownBroadcasts),
          }),
        );
      }
      await Promise.all([chatter(peers, signal), killAndRevive(instances, options)]);
    } finally {
      await Promise.all(peers.map((peer) => peer.shutdown()));
    }
  } finally {
    await Promise.all(instances.map((instance) => instance.child?.[Symbol.asyncDispose]()));
  }
  return 0;
}

/** Starts instance `name` on its preferred ports, or free ones if those are taken. */
async function startFirst(
  name: string,
  index: number,
  redisUrl: string,
  adminToken: string,
  options: ClusterDemoOptions,
): Promise<Instance> {
  // Ports side by side (7070, 7071, 7072), or all free ones when asked for port 0.
  const next = (port: number) => port === 0 ? 0 : port + index;
  const listen = { ...options.registry, port: next(options.registry.port) };
  const dashboard = { ...options.dashboard, port: next(options.dashboard.port) };
  const common = ["--cluster", redisUrl, "--instance", name, "--admin-token", adminToken];
  const tuning = ["--heartbeat-ms", "1000", "--evict-after", "3", "--log-format", "json"];
  for (const ports of [[listen, dashboard], [{ ...listen, port: 0 }, { ...dashboard, port: 0 }]]) {
    const args = [
      ...common,
      ...tuning,
      "--listen",
      formatHostPort(ports[0]),
      "--dashboard",
      formatHostPort(ports[1]),
    ];
    try {
      const child = await RegistryChild.start(args);
      // Revived on the same addresses, so peers and dashboards find it where it was.
      const revive = [
        ...common,
        ...tuning,
        "--listen",
        child.address,
        "--dashboard",
        new URL(child.dashboardUrl).host,
      ];
      return { name, args: revive, child };
    } catch (error) {
      if (ports[0].port === 0) throw error;
      // A preferred port was taken: try free ones.
    }
  }
  throw new Error("unreachable");
}

async function killAndRevive(instances: Instance[], options: ClusterDemoOptions): Promise<void> {
  const { print, signal } = options;
  const killEveryMs = options.killEveryMs ?? 60_000;
  const deadForMs = options.deadForMs ?? 20_000;
  for (let turn = 0; await sleep(killEveryMs - deadForMs, signal); turn++) {
    const instance = instances[turn % instances.length];
    print(
      `✗ instance ${instance.name} killed (SIGKILL): its peers move to the others; ` +
        "nobody should see them leave",
    );
    await instance.child?.kill("SIGKILL");
    instance.child = undefined;
    if (!await sleep(deadForMs, signal)) return;
    try {
      instance.child = await RegistryChild.start(instance.args);
      print(`✓ instance ${instance.name} is back on ${instance.child.address}`);
    } catch (error) {
      print(`instance ${instance.name} could not start again: ${(error as Error).message}`);
    }
  }
}

/** The demo's narration, plus where each peer registered. */
function tell(
  name: string,
  event: PeerEvent,
  print: (line: string) => void,
  shownBroadcasts: Set<string>,
): void {
  if (event.event === "registered" && event.reconnects > 0) {
    print(`${name} moved to ${event.registry} (reconnect ${event.reconnects})`);
    return;
  }
  if (event.event === "peer_left") {
    print(`${name} sees ${event.peer.name} leave (${event.reason})`);
    return;
  }
  if (event.event === "registry_lost") {
    print(`${name} lost ${event.registry}; retrying elsewhere`);
    return;
  }
  narrate(name, event, print, shownBroadcasts);
}
