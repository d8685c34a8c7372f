/**
 * Benchmarks 14–16: links across NATs, on the NAT lab (real network
 * namespaces, nftables masquerade; tests/support/nat_lab.ts), with real
 * registry and peer processes. Root is needed; without it each row says it
 * was skipped and why.
 *
 * 14. First message to a peer behind a port-preserving NAT: `send` →
 *     `delivered`, a fresh pair of peers per trial (so no link and no
 *     remembered path), the default `--link-paths`. The direct dial to the
 *     published address goes unanswered for its 1 s deadline, then the punch.
 * 15. The same behind a symmetric NAT: direct and three punch tries fail,
 *     then the relay.
 *     Baseline for both: the first message between two fresh peers on the
 *     lab's public bridge (no NAT), direct, trials interleaved.
 * 16. Relayed throughput: pipelined 16,000-character messages on an open
 *     relayed link (`--link-paths relay`, `--relay-kbps 0` so the relay's
 *     own machinery is measured, not its rate limit), against a direct link
 *     between the same two hosts, trials interleaved.
 */

import { type LabHost, NatLab, type NatMode } from "../../tests/support/nat_lab.ts";
import { netnsSupport } from "../../tests/support/netns.ts";
import { PeerProcess, RegistryProcess } from "../../tests/support/processes.ts";
import type { BenchResult } from "../support/result.ts";
import { formatBytes, formatMs, median, percentile } from "../support/stats.ts";

/** The row that says why it did not run. */
function skipped(id: number, what: string, target: string, reason: string): BenchResult {
  return {
    id,
    what,
    measured: `skipped: ${reason}`,
    baseline: "—",
    ratio: "—",
    target,
    met: false,
    skipped: reason,
    details: { skipped: reason },
  };
}

/** A lab with a registry on its public side; dispose to tear it all down. */
async function labWithRegistry(nats: [NatMode, NatMode], registryArgs: string[] = []) {
  const lab = await NatLab.start({ nats, lanHosts: 2 });
  const dir = await Deno.makeTempDir({ prefix: "p2pchat-bench-nat-" });
  try {
    const registry = await RegistryProcess.start([
      "--listen",
      `${lab.public.address}:7070`,
      "--no-dashboard",
      // The product's heartbeat, not the tests' quick one.
      "--heartbeat-ms",
      "2000",
      ...registryArgs,
    ], { netns: lab.public.netns });
    let peers = 0;
    return {
      lab,
      /** Starts a peer named `name-N` (fresh data dir) on `host`. */
      peer: (name: string, host: LabHost, args: string[] = []) =>
        PeerProcess.start(`${name}-${++peers}`, {
          registry: registry.address,
          dataDir: `${dir}/${name}-${peers}`,
          netns: host.netns,
          args,
        }),
      async [Symbol.asyncDispose]() {
        try {
          await registry[Symbol.asyncDispose]();
        } finally {
          await lab[Symbol.asyncDispose]();
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        }
      },
    };
  } catch (error) {
    await lab[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

type Lab = Awaited<ReturnType<typeof labWithRegistry>>;

/**
 * Two fresh peers, `from` on `fromHost` and `to` on `toHost`; once `from`
 * lists `to`, times its first message from `send` to `delivered`. Returns
 * the time and the path the link took.
 */
async function firstMessage(
  lab: Lab,
  hosts: [LabHost, LabHost],
): Promise<{ ms: number; path: string }> {
  await using from = await lab.peer("alice", hosts[0]);
  await using to = await lab.peer("bob", hosts[1]);
  await from.waitFor("peer_joined", { test: (e) => e.peer.id === to.id });
  const started = performance.now();
  await from.command({ cmd: "send", to: to.id, text: "first message through the lab" });
  await from.waitFor("delivered", { timeoutMs: 20_000 });
  const ms = performance.now() - started;
  return { ms, path: (await from.waitFor("link")).path };
}

async function firstMessageRow(
  row: { id: 14 | 15; what: string; nat: NatMode; path: string; targetMs: number },
  trials: number,
): Promise<BenchResult> {
  const target = `p50 ≤ ${row.targetMs / 1000} s, path ${row.path}`;
  const support = await netnsSupport();
  if (!support.ok) return skipped(row.id, row.what, target, support.reason);
  const samples: number[] = [];
  const direct: number[] = [];
  const paths: string[] = [];
  {
    // Alice behind the NAT under test, bob behind a port-preserving one.
    await using lab = await labWithRegistry([row.nat, "port-preserving"]);
    const [a, b] = lab.lab.private;
    const [lan1, lan2] = lab.lab.lan;
    for (let trial = 0; trial < trials; trial++) {
      const across = await firstMessage(lab, [a, b]);
      samples.push(across.ms);
      paths.push(across.path);
      direct.push((await firstMessage(lab, [lan1, lan2])).ms);
    }
  }
  const p50 = percentile(samples, 50);
  const direct50 = percentile(direct, 50);
  const wrongPath = paths.filter((path) => path !== row.path);
  return {
    id: row.id,
    what: row.what,
    measured:
      `p50 ${formatMs(p50)}, max ${formatMs(Math.max(...samples))} (${trials} fresh pairs)` +
      (wrongPath.length ? `; paths ${paths.join(",")}` : ""),
    baseline: `first direct message, no NAT: p50 ${formatMs(direct50)}`,
    ratio: `${(p50 / direct50).toFixed(1)}× direct`,
    target,
    met: p50 <= row.targetMs && wrongPath.length === 0,
    details: { trials, samplesMs: samples, directMs: direct, paths },
  };
}

/** Benchmark 14: the first message through a port-preserving NAT, punched. */
export async function punchedFirstMessage(trials: number): Promise<BenchResult> {
  return await firstMessageRow({
    id: 14,
    what: "first message to a peer behind a port-preserving NAT (send → delivered)",
    nat: "port-preserving",
    path: "punched",
    targetMs: 3000,
  }, trials);
}

/** Benchmark 15: the first message through a symmetric NAT, relayed. */
export async function relayedFirstMessage(trials: number): Promise<BenchResult> {
  return await firstMessageRow({
    id: 15,
    what: "first message to a peer behind a symmetric NAT (send → delivered)",
    nat: "symmetric",
    path: "relayed",
    targetMs: 5000,
  }, trials);
}

const BULK_TEXT_LENGTH = 16_000;

/** Sends `count` messages at once from `from` to `to`; seconds until all are delivered. */
async function bulk(from: PeerProcess, to: PeerProcess, count: number): Promise<number> {
  const mark = from.mark();
  const text = "r".repeat(BULK_TEXT_LENGTH);
  const started = performance.now();
  for (let i = 0; i < count; i++) await from.command({ cmd: "send", to: to.id, text });
  let delivered = 0;
  let seen = mark;
  await from.waitFor("delivered", {
    after: mark,
    test: () => {
      // Counted incrementally: the test runs on every line.
      for (; seen < from.events.length; seen++) {
        if (from.events[seen].event === "delivered") delivered++;
      }
      return delivered >= count;
    },
    timeoutMs: 120_000,
  });
  return (performance.now() - started) / 1000;
}

/** Benchmark 16: relayed throughput against a direct link, same hosts, same run. */
export async function relayedThroughput(messages: number, trials: number): Promise<BenchResult> {
  const what = `relayed link throughput, pipelined ${BULK_TEXT_LENGTH}-character messages ` +
    "(--relay-kbps 0)";
  const target = "reported against direct (no target)";
  const support = await netnsSupport();
  if (!support.ok) return skipped(16, what, target, support.reason);
  const relayed: number[] = [];
  const direct: number[] = [];
  const paths: string[] = [];
  {
    await using lab = await labWithRegistry(["port-preserving", "port-preserving"], [
      "--relay-kbps",
      "0",
    ]);
    const [lan1, lan2] = lab.lab.lan;
    // Two pairs on the same two hosts: one may only relay, one only dial.
    await using carol = await lab.peer("carol", lan1, ["--link-paths", "relay"]);
    await using dave = await lab.peer("dave", lan2, ["--link-paths", "relay"]);
    await using erin = await lab.peer("erin", lan1, ["--link-paths", "direct"]);
    await using frank = await lab.peer("frank", lan2, ["--link-paths", "direct"]);
    await carol.waitFor("peer_joined", { test: (e) => e.peer.id === frank.id });
    await erin.waitFor("peer_joined", { test: (e) => e.peer.id === frank.id });
    // Links open first: this measures the links, not their handshakes.
    await bulk(carol, dave, 1);
    await bulk(erin, frank, 1);
    paths.push((await carol.waitFor("link")).path, (await erin.waitFor("link")).path);
    for (let trial = 0; trial < trials; trial++) {
      relayed.push(await bulk(carol, dave, messages));
      direct.push(await bulk(erin, frank, messages));
    }
  }
  const bytes = messages * BULK_TEXT_LENGTH;
  const rate = bytes / median(relayed);
  const directRate = bytes / median(direct);
  return {
    id: 16,
    what,
    measured: `${formatBytes(rate)}/s (median of ${trials} × ${messages} messages)` +
      (paths[0] === "relayed" ? "" : `; path ${paths[0]}`),
    baseline: `direct link, same hosts: ${formatBytes(directRate)}/s`,
    ratio: `${((rate / directRate) * 100).toFixed(0)}% of direct`,
    target,
    met: paths[0] === "relayed" && paths[1] === "direct",
    details: { messages, trials, relayedSeconds: relayed, directSeconds: direct, paths },
  };
}
