/**
 * A NAT lab of real Linux network namespaces, built per test and torn down
 * after it (even when it fails):
 *
 * ```
 *  public  (bridge br0, 198.51.100.1/24: the registry runs here)
 *    ├── nat-a  wan 198.51.100.11 ┄ masquerade ┄ lan 10.0.1.1/24 ── a  10.0.1.2
 *    ├── nat-b  wan 198.51.100.12 ┄ masquerade ┄ lan 10.0.2.1/24 ── b  10.0.2.2
 *    └── lan1…  198.51.100.101…  (optional hosts on the bridge itself, no NAT)
 * ```
 *
 * Each NAT router masquerades what leaves its wan side, forwards inbound
 * only for connections its hosts opened (conntrack established/related), and
 * silently drops everything unsolicited, at itself or behind it — like a
 * home router without port forwards. A router is either port-preserving
 * (plain `masquerade`: the private source port is kept, for every
 * destination) or symmetric (`masquerade random`: a new public port per
 * connection). Addresses are documentation and private ranges that exist
 * only inside these namespaces; nothing is added to the machine's own
 * namespace.
 *
 * Namespace names start with `p2plab-PID-RUN-`, so parallel runs never
 * collide and a run that crashed is recognised by its dead PID and cleaned
 * up by the next one.
 *
 * @example
 * ```ts
 * await using lab = await NatLab.start({ nats: ["port-preserving", "symmetric"] });
 * const registry = await RegistryProcess.start(["--listen", `${lab.public.address}:7070`],
 *   { netns: lab.public.netns });
 * ```
 */

import { BridgeCapture } from "./bridge_capture.ts";
import { inNetns, ip, listNetns, removeNetns, run } from "./netns.ts";
import { RoleProcess } from "./processes.ts";

/** How a lab NAT maps private source ports to public ones. */
export type NatMode = "port-preserving" | "symmetric";

/** A namespace with one address that tests talk about. */
export interface LabHost {
  /** Short name in the lab: `public`, `a`, `b`, `lan1`, … */
  name: string;
  /** The network namespace to run things in. */
  netns: string;
  /** Its IPv4 address. */
  address: string;
}

/** A host on a private network, behind its own NAT router. */
export interface PrivateHost extends LabHost {
  nat: LabHost & { mode: NatMode };
}

/** Options for {@linkcode NatLab.start}. */
export interface NatLabOptions {
  /** NAT modes of the routers in front of hosts `a` and `b`. Default both port-preserving. */
  nats?: [NatMode, NatMode];
  /** Plain hosts on the public bridge (`lan1`, `lan2`, …), for LAN tests. Default 0. */
  lanHosts?: number;
}

/** The prefix every lab namespace name starts with. */
export const LAB_PREFIX = "p2plab-";

const PUBLIC_NET = "198.51.100";
const BRIDGE = "br0";

/** A built lab; dispose it to tear it down. */
export class NatLab implements AsyncDisposable {
  /** The public side: the namespace holding the bridge, with the bridge's address. */
  readonly public: LabHost;
  /** The two private hosts, `a` and `b`, each behind its own NAT. */
  readonly private: [PrivateHost, PrivateHost];
  /** Plain hosts on the public bridge. */
  readonly lan: LabHost[];
  readonly #namespaces: string[];
  readonly #children = new Set<RoleProcess>();
  readonly #captures = new Set<BridgeCapture>();
  readonly #dir: string;

  private constructor(
    run: string,
    options: Required<NatLabOptions>,
    dir: string,
  ) {
    const ns = (name: string) => `${LAB_PREFIX}${run}-${name}`;
    this.public = { name: "public", netns: ns("pub"), address: `${PUBLIC_NET}.1` };
    const privateHost = (name: "a" | "b", index: number): PrivateHost => ({
      name,
      netns: ns(name),
      address: `10.0.${index + 1}.2`,
      nat: {
        name: `nat-${name}`,
        netns: ns(`nat-${name}`),
        address: `${PUBLIC_NET}.${11 + index}`,
        mode: options.nats[index],
      },
    });
    this.private = [privateHost("a", 0), privateHost("b", 1)];
    this.lan = Array.from({ length: options.lanHosts }, (_, i) => ({
      name: `lan${i + 1}`,
      netns: ns(`lan${i + 1}`),
      address: `${PUBLIC_NET}.${101 + i}`,
    }));
    this.#namespaces = [
      this.public.netns,
      ...this.private.flatMap((host) => [host.nat.netns, host.netns]),
      ...this.lan.map((host) => host.netns),
    ];
    this.#dir = dir;
  }

  /**
   * Builds a lab. Namespaces left by crashed runs are removed first. If
   * building fails half way, what was built is removed before the error is
   * thrown.
   */
  static async start(options: NatLabOptions = {}): Promise<NatLab> {
    if (options.lanHosts !== undefined && !(options.lanHosts >= 0 && options.lanHosts <= 50)) {
      throw new RangeError(`lanHosts must be from 0 to 50, got ${options.lanHosts}`);
    }
    await removeLeftovers();
    const runId = `${Deno.pid}-${crypto.randomUUID().slice(0, 6)}`;
    const lab = new NatLab(runId, {
      nats: options.nats ?? ["port-preserving", "port-preserving"],
      lanHosts: options.lanHosts ?? 0,
    }, await Deno.makeTempDir({ prefix: "p2plab-" }));
    try {
      await lab.#build();
      return lab;
    } catch (error) {
      await lab[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** The host by its lab name (`public`, `a`, `b`, `nat-a`, `lan1`, …). */
  host(name: string): LabHost {
    const all = [this.public, ...this.private, ...this.private.map((h) => h.nat), ...this.lan];
    const found = all.find((host) => host.name === name);
    if (!found) throw new RangeError(`No lab host named ${JSON.stringify(name)}`);
    return found;
  }

  /**
   * Starts `command ARGS…` inside `host`'s namespace, its stdout collected
   * line by line. The lab kills it on dispose if it still runs.
   */
  spawn(
    host: LabHost,
    command: string,
    args: string[],
    options: Pick<Deno.CommandOptions, "env" | "cwd"> = {},
  ): RoleProcess {
    const [wrapper, wrapped] = inNetns(host.netns, command, args);
    const child = new Deno.Command(wrapper, {
      ...options,
      args: wrapped,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const process = new RoleProcess(child);
    this.#children.add(process);
    return process;
  }

  /** Runs `command ARGS…` inside `host`'s namespace to completion; returns stdout. */
  async exec(host: LabHost, command: string, args: string[]): Promise<string> {
    const [wrapper, wrapped] = inNetns(host.netns, command, args);
    return await run(wrapper, wrapped);
  }

  /**
   * Starts a tcpdump capture on the public bridge (every packet between the
   * NATs, the registry and the LAN hosts), optionally filtered
   * (`"tcp port 7070"`). Stop it to read it; the lab stops it on dispose.
   */
  async capture(filter?: string): Promise<BridgeCapture> {
    const file = `${this.#dir}/capture-${this.#captures.size + 1}.pcap`;
    const capture = await BridgeCapture.start(this.public.netns, BRIDGE, { file, filter });
    this.#captures.add(capture);
    return capture;
  }

  /** Kills what runs in the lab, deletes every namespace and the capture files. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await Promise.all([...this.#captures].map((capture) => capture[Symbol.asyncDispose]()));
      await Promise.all([...this.#children].map((child) => child[Symbol.asyncDispose]()));
    } finally {
      // Whatever went wrong above, the namespaces go (with any process left in them).
      await Promise.all(this.#namespaces.map((netns) => removeNetns(netns)));
      await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
    }
  }

  async #build(): Promise<void> {
    // Namespaces first (all of them, so a half-built lab is still found by name).
    for (const netns of this.#namespaces) await ip(["netns", "add", netns]);
    await Promise.all(
      this.#namespaces.map((netns) => ip(["-n", netns, "link", "set", "lo", "up"])),
    );
    const pub = this.public.netns;
    // Snooping off: the bridge floods multicast like a plain switch, with no
    // querier needed (LAN discovery tests multicast across it).
    await ip(["-n", pub, "link", "add", BRIDGE, "type", "bridge", "mcast_snooping", "0"]);
    await ip(["-n", pub, "addr", "add", `${this.public.address}/24`, "dev", BRIDGE]);
    await ip(["-n", pub, "link", "set", BRIDGE, "up"]);
    await Promise.all([
      ...this.private.map((host, index) => this.#buildPrivate(host, index)),
      ...this.lan.map((host) => this.#buildLanHost(host)),
    ]);
  }

  /** A NAT router on the bridge, and a host on its private network. */
  async #buildPrivate(host: PrivateHost, index: number): Promise<void> {
    const nat = host.nat.netns;
    const lanNet = `10.0.${index + 1}`;
    await this.#plugIntoBridge(nat, "wan", host.nat.name, host.nat.address);
    await ip([
      "-n",
      nat,
      "link",
      "add",
      "lan",
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      host.netns,
    ]);
    await ip(["-n", nat, "addr", "add", `${lanNet}.1/24`, "dev", "lan"]);
    await ip(["-n", nat, "link", "set", "lan", "up"]);
    await ip(["-n", host.netns, "addr", "add", `${host.address}/24`, "dev", "eth0"]);
    await ip(["-n", host.netns, "link", "set", "eth0", "up"]);
    await ip(["-n", host.netns, "route", "add", "default", "via", `${lanNet}.1`]);
    // ip_forward is per namespace; this one only affects the router.
    await this.exec(host.nat, "sh", ["-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
    await run("ip", ["netns", "exec", nat, "nft", "-f", "-"], {
      stdin: natRuleset(host.nat.mode),
    });
  }

  /** A host attached straight to the public bridge (same LAN as the registry). */
  async #buildLanHost(host: LabHost): Promise<void> {
    await this.#plugIntoBridge(host.netns, "eth0", host.name, host.address);
    await ip(["-n", host.netns, "route", "add", "default", "via", this.public.address]);
  }

  /** A veth pair: `device` inside `netns` with `address`, its twin `port` on the bridge. */
  async #plugIntoBridge(netns: string, device: string, port: string, address: string) {
    const pub = this.public.netns;
    await ip([
      "-n",
      netns,
      "link",
      "add",
      device,
      "type",
      "veth",
      "peer",
      "name",
      port,
      "netns",
      pub,
    ]);
    await ip(["-n", pub, "link", "set", port, "master", BRIDGE, "up"]);
    await ip(["-n", netns, "addr", "add", `${address}/24`, "dev", device]);
    await ip(["-n", netns, "link", "set", device, "up"]);
  }
}

/**
 * The router's nftables rules. Inbound on `wan` gets through only as part of
 * a connection a private host opened; everything else is dropped without an
 * answer (no RST, no ICMP), so a dial to a NATed peer times out, as it does
 * behind a real home router.
 */
export function natRuleset(mode: NatMode): string {
  const masquerade = mode === "symmetric" ? "masquerade random" : "masquerade";
  return `
table ip nat_lab {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" ${masquerade}
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    iifname "lan" oifname "wan" accept
    iifname "wan" oifname "lan" ct state established,related accept
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" drop
  }
}
`;
}

/**
 * Removes lab namespaces whose creating process is gone (a run that crashed
 * or was killed before it could tear down). Live runs' labs are left alone.
 */
export async function removeLeftovers(): Promise<string[]> {
  const stale: string[] = [];
  for (const netns of await listNetns()) {
    const pid = new RegExp(`^${LAB_PREFIX}(\\d+)-`).exec(netns)?.[1];
    if (pid === undefined || await processExists(Number(pid))) continue;
    stale.push(netns);
  }
  await Promise.all(stale.map((netns) => removeNetns(netns)));
  return stale;
}

async function processExists(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
