/**
 * What the numbers mean, and for every missed target where the time (or
 * memory) goes and what would fix it — written from profiles of this code.
 * Kept beside the harness so the report always carries them; revise them
 * when the code changes.
 */

export const BENCHMARK_NOTES = `## How each figure is measured

1. **Round trip.** Two real peers in one process (as in the baseline, so both share one event loop),
   each with its message store (SQLite, WAL, \`synchronous = FULL\`, on its own worker thread) in a
   temp directory on disk, an encrypted link already open. One 100-character message at a time, from
   \`send()\` to the \`delivered\` event; 10 warm-up trips are dropped. Baselines, sampled in turn
   with the trips (one of each per round, so all three see the same moment of this shared machine):
   a raw TCP echo of an encoded chat frame in the same process, and one \`synchronous = FULL\` commit
   of a 100-character message into a WAL database in a temp directory on the same disk, from the
   same thread. **Floor** = echo p50 + 2 × commit p50: a durable round trip commits at the sender
   before it sends and at the receiver before it acknowledges, and cannot cost less.
2. **Throughput.** The same pair; 20,000 messages handed to \`send()\` at once, timed until every
   \`delivered\` arrived; five trials, the median reported. Baseline, run after each trial: the
   same number of JSON frames written in batches of 256, each decoded by the receiver and answered
   with a JSON ack frame, until all acks are back.
3. **Join visibility.** N−1 simulated peers (two worker threads) hold the list; a new peer registers
   and the time from its \`welcome\` to the last of the others applying the delta is taken, 30–50
   times, one join at a time. Baseline: a bare server process writing one frame of the delta's size to
   N−1 sockets, read by the same workers. Timestamps are wall-clock high-resolution, comparable across
   processes.
4. **Capacity.** 10,000 simulated peers join in ten waves and heartbeat once a second each; after
   the list traffic drained, heartbeats counted by the registry over 5 s; memory is the registry
   process's resident set size growth over the idle registry, after a full garbage collection.
5. **Burst.** 1,000 simulated peers join spread evenly over one second; converged when every peer
   has been sent all N entries; bytes are what the peers read from the registry.
6. **Failure detection.** A watcher and a victim with real heartbeats; the victim goes silent with
   its socket open (a frozen process or lost packets look exactly like this to the registry), or says
   bye.
7. **Restart.** 1,000 peers running the real reconnect logic (\`RegistryClient\`, backoff with jitter)
   in two workers; the registry process is SIGKILLed and started again on the same address.
   Connection attempts are every try after the crash, successful or not.
8. **Start-up.** \`deno run\` of the bundle until it prints "listening for peers" (\`--no-dashboard\`,
   port 0), against \`deno run\` of a one-line file; medians of 15 after one warm-up each.
9. **Cluster join visibility.** As 3, with the N−1 simulated peers spread evenly over three cluster
   instances (each its own process, sharing a throwaway \`redis-server\`), each joiner registering on
   the next instance in turn; baseline: the same measurement against a single registry in the same
   run. A join then costs a \`CLAIM\` script, the stream wake-up on every instance and each
   instance's own fan-out.
10. **Cluster failover.** 1,000 peers running the real reconnect logic (\`RegistryClient\`, each given
    all three instances, its own first) in two workers; one instance is SIGKILLed. Measured: when
    the last of its peers is registered on another instance; connection attempts after the kill;
    and every \`left\` any peer was told of until the dead instance's grace window closed (a peer
    that moved but was reaped anyway would show there).
11. **Cluster capacity.** Three instances, each with N simulated peers (joined in waves, as in 4)
    heartbeating once a second; heartbeats counted by the instances over 5 s. Redis's own
    \`INFO\` gives the commands it processed in the same window (commands run inside scripts
    included, as Redis counts them), its CPU time and its memory.

## Missed targets: where the time goes, and what would fix it

**1 and 2 — the message store moved from Deno KV to SQLite (issue 15).** Before/after, same
harness (this one, floor included), same machine, eight alternating runs of each (\`--only=1,2\`,
load average 8–10 from other work on the machine):

| | Deno KV store (before) | SQLite store on a worker thread (after) |
|---|---|---|
| 1: round trip p50, median of runs | 1.74 ms (runs 1.33–5.52 ms) = 1.83× floor | 3.48 ms (runs 1.49–6.02 ms) = 3.23× floor |
| 1: floor (echo p50 + 2 × commit p50) | 0.91 ms (echo 38 µs, commit 0.44 ms) | 0.98 ms (echo 39 µs, commit 0.47 ms) |
| 2: messages/s, median of runs | 5.0 k/s (runs 2.7–12.0 k) = 10% of raw | 14.8 k/s (runs 5.9–36.7 k) = 26% of raw |

Throughput is three times what it was. The round trip is not faster, and the spread between runs is
wider than the difference: measured the fairest way — both versions' peer pairs in one process,
trips alternating, 400 pairs, three times — the KV round trip p50 was 1.77, 3.29 and 3.91 ms and
the SQLite one 1.81, 3.70 and 5.30 ms (SQLite faster in 42–48% of pairs). One commit is not the
difference: alternating single commits, Deno KV took p50 0.42–1.45 ms and the store's worker
0.51–1.32 ms, both at the raw \`synchronous = FULL\` cost. Deno KV was already paying the fsync and
little else per commit (its per-call overhead was overestimated before).

**1 — where a round trip goes.** A round trip of 1.53 ms on a calm moment, timed inside the peers:
sender commit 0.56 ms (send() → stored), seal 47 µs, loopback + read 44 µs, open 29 µs, inbox
36 µs, receiver commit 0.52 ms, then the ack: 0.03 ms to seal, 0.05 ms to arrive, 0.03 ms to open,
0.04 ms to report. So 1.08 ms is the two commits (the floor's part) and ~0.45 ms the rest, of which
each WebCrypto seal or open is ~5 µs of work but waits one event-loop turn (four per trip), and each
commit crosses to its thread and back (two wake-ups). Under load the wake-ups are what grows: with
load average 8–15 the same trip takes 3–6 ms while a single commit stays under 1 ms. A build sealing
with synchronous \`node:crypto\` AES-GCM (no turn per frame) was faster in 47–64% of paired trips,
not enough to close the gap; it is not in this change (it touches the link's key handling). Closing
1.5× floor needs fewer thread crossings per trip: one store thread for both directions does not
help (the two commits are on different peers), so it means SQLite calls on the peer thread for
single-row commits (which is what the worker exists to avoid) or a kernel that schedules these
threads promptly — on a quiet machine the trip measured 1.49 ms = 1.56× floor.

**2 — where throughput goes.** CPU per message, per thread, for 20,000 pipelined messages (both
peers in one process; stable across runs while wall-clock rates swing 7k–37k/s with the load): peer
thread 19 µs (send() API, JSON per message, sealing and opening 250-KiB frames, validation, events,
building the store's parameters), V8's background threads 9.5 µs (garbage collection and optimising
compilation), sender's store thread 7.5 µs (insert, later the delivered update: ~4 µs of SQLite
each), receiver's store thread 4.5 µs — 40 µs in all, against 9 µs for the raw baseline (one
thread). On two cores that caps the pipeline near 50k/s with perfect overlap and no other load; the
target needs the per-message CPU roughly halved, most of it in the peer thread and the garbage it
makes (one object, JSON string and promise chain per message at every layer). What the store costs
is near SQLite's own: a 1024-row batch is ~5 ms of CPU plus its fsync, two batches are queued at
the thread so it never waits for the busy peer thread, a burst is stored and sent in 1024-row
slices so sending starts after the first slice, parameters cross threads as one flat array (3×
cheaper than an array per row), and CHECK constraints were dropped after they halved the insert
rate (60k against 130k rows/s). The changes that got here, measured with 20,000 messages: Courier
acknowledgement and flushing were quadratic in the queue (filters per ack batch) — now O(changed);
the store thread waited for the peer thread between batches — now two in flight; one 20,000-row
batch held back every send — now slices.

**4 — capacity at 10,000 peers: heartbeats met, memory missed.** Once registered, 10,000 peers
heartbeating once a second are handled with room to spare (the rate measured is above 10,000/s
because the simulated peers' own timers catch up after the join phase). Two costs sit elsewhere:
- *Getting 10,000 peers registered is the real load.* Every peer must be sent every other peer:
  N·(N−1) entries of ~110 bytes ≈ 11 GB of list traffic, which on two shared cores took about two
  minutes in this run (deltas are coalesced and encoded once per flush, and the flush interval grows
  with the number of peers, 10 ms up to 1 s, but those bytes are the information lower bound).
- *Memory per peer is ~7–11 KB of JavaScript heap, and far more resident memory.* A heap snapshot of
  2,000 registered idle peers shows per peer: ~19 closures (1.1 KB), 6 suspended async functions
  (0.6 KB) with 10 promises and 9 reactions (0.9 KB) — each session's read loop awaits through five
  async layers —, 7 arrays (0.9 KB), 23 strings (0.5 KB), the 512-byte read buffer, and the record,
  table, history and socket wrapper objects. The resident set is dominated by what the join traffic
  left behind: V8 keeps the heap it grew to (56 MB reserved for 19 MB used at 2,000 peers), plus the
  runtime's per-connection state. Fixing it would take a session design without a suspended async
  chain per idle connection (one read loop over a readiness API, which Deno does not expose),
  compact records (IDs as bytes, no per-peer history until asked), and V8 flags capping the heap's
  young generation for the registry process.

Met targets need little comment: join visibility at 100 peers is on a par with a bare fan-out (the
first change after a quiet spell is flushed in the same turn); a burst of 1,000 joins converges in
under 2 s with ~1.1× the information lower bound in bytes; silent peers are evicted within
(evict-after + ¼) intervals and a bye is seen in ~10 ms; after a registry crash, jittered backoff
(first retry 125–250 ms) finds the new registry up, so each of 1,000 peers needs exactly one attempt;
start-up stays under twice an empty \`deno run\` by loading each role's code only when it runs (the
Node-compatibility modules alone cost 20–60 ms to load).
`;
