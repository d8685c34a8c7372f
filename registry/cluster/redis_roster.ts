/**
 * The shared peer table on Redis, as one registry instance runs it:
 *
 * - **claims and releases** go through scripts that order them cluster-wide
 *   and fence them by session token, batched while one is in flight;
 * - a **tick** (four per heartbeat interval) keeps this instance's run alive
 *   and reaps the peers of runs that stopped ticking — one command per tick,
 *   however many peers heartbeat here;
 * - a **reader** follows the change stream, moves the mirror forward and
 *   feeds the publisher, which sends this instance's peers their deltas;
 * - when the engine **goes away**, peers held here are kept and served, new
 *   claims are refused with `cluster_unavailable`, releases wait; when it
 *   **comes back empty**, a new epoch is formed: every instance claims its
 *   peers again, waits for the others it knew, and sends a fresh snapshot.
 */

import {
  type LeaveReason,
  type ListPosition,
  nameKey,
  ProtocolError,
  shortId,
} from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import type { ListSubscriber } from "../peer_list_publisher.ts";
import type { DisownReason, RosterHost, RosterPeer, SharedRoster } from "../shared_roster.ts";
import type { EngineStatus, InstanceStatus, PeerRecord } from "../view.ts";
import { ClusterPublisher } from "./cluster_publisher.ts";
import { Engine, type ScriptReply } from "./engine.ts";
import { type MirrorStep, RosterMirror } from "./roster_mirror.ts";
import {
  type ClusterOp,
  type ClusterRecord,
  type InstanceRecord,
  KEYS,
  OPS_PER_ENTRY,
} from "./scripts.ts";

/** Options for {@linkcode RedisRoster.join}. */
export interface RedisRosterOptions {
  url: string;
  /** This instance's name (unique in the cluster). */
  instance: string;
  /** Where peers dial this instance. */
  announce: string;
  heartbeatMs: number;
  evictAfter: number;
  flushIntervalMs?: number;
  /** Stream entries kept in Redis and for peers that resume. Default 10,000. */
  historyEntries?: number;
  logger: Logger;
  /** Told how many list frames of each kind were written (for counters). */
  onSent?: (kind: "delta" | "snapshot", frames: number) => void;
}

/**
 * How long an instance may stay silent before its peers are taken off the
 * list: long enough for its peers to notice it is gone (at most
 * `evictAfter + 1` heartbeat intervals of silence), wait their first backoff
 * and register elsewhere — the grace window in which a moving peer is never
 * reported as having left.
 */
export function instanceTtlMs(heartbeatMs: number, evictAfter: number): number {
  return (evictAfter + 1) * heartbeatMs + 2000;
}

/** Stream entries read per round trip. */
const READ_BATCH = 1000;

interface PendingClaim {
  record: ClusterRecord;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A shared table on Redis. */
export class RedisRoster implements SharedRoster {
  readonly instance: string;
  readonly announce: string;
  readonly #options: RedisRosterOptions;
  readonly #engine: Engine;
  readonly #run: string;
  readonly #ttlMs: number;
  readonly #tickMs: number;
  readonly #maxlen: number;
  readonly #mirror = new RosterMirror();
  readonly #publisher: ClusterPublisher;
  /** What this instance claimed and still holds, by peer ID. */
  readonly #local = new Map<string, ClusterRecord>();
  /** Releases the engine has not confirmed yet (it was down, or the answer was lost). */
  readonly #unreleased = new Map<string, { token: string; reason: LeaveReason }>();
  #host: RosterHost | undefined;
  #epoch: string;
  #seeded: string;
  #tokens = 0;
  #claimQueue: PendingClaim[] = [];
  #claiming = false;
  #releasing = false;
  #engineStatus: EngineStatus = { status: "up" };
  #downSince = 0;
  #instances: InstanceRecord[] = [];
  /** Other instances healthy at the last tick that succeeded: who a new epoch waits for. */
  #lastHealthy = new Set<string>();
  /** Redis clock minus local clock, from the last tick. */
  #clockOffset = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #ticking = false;
  #reforming: Promise<void> | undefined;
  #reading: Promise<void> | undefined;
  #closed = false;
  #superseded = false;

  private constructor(options: RedisRosterOptions, engine: Engine, run: string) {
    this.instance = options.instance;
    this.announce = options.announce;
    this.#options = options;
    this.#engine = engine;
    this.#run = run;
    this.#ttlMs = instanceTtlMs(options.heartbeatMs, options.evictAfter);
    this.#tickMs = Math.max(20, Math.floor(options.heartbeatMs / 4));
    this.#maxlen = options.historyEntries ?? 10_000;
    this.#epoch = "";
    this.#seeded = "";
    this.#publisher = new ClusterPublisher({
      currentPeers: () => this.#mirror.publicList(),
      flushIntervalMs: options.flushIntervalMs,
      historyRanges: this.#maxlen,
      onSent: options.onSent,
    });
  }

  /**
   * Connects to the engine, joins (or forms) the list's epoch, loads the
   * table and starts ticking and reading. Rejects with `EngineUnreachable`.
   */
  static async join(options: RedisRosterOptions): Promise<RedisRoster> {
    // The engine reports connection changes from before the roster exists.
    const late: { roster?: RedisRoster } = {};
    const commandTimeoutMs = Math.max(1000, options.heartbeatMs);
    const engine = await Engine.connect({
      url: options.url,
      commandTimeoutMs,
      blockMs: Math.max(100, Math.min(1000, options.heartbeatMs)),
      onConnection: (up, reason) => {
        if (late.roster) late.roster.#connectionChanged(up, reason);
      },
    });
    const run = `${options.instance}~${crypto.getRandomValues(new Uint8Array(4)).toHex()}`;
    const roster = new RedisRoster(options, engine, run);
    late.roster = roster;
    try {
      await roster.#joinEpoch();
      await roster.#load();
      roster.#seeded = roster.#epoch;
      // Knowing the other instances from the start: the first welcome names them.
      await roster.#beat();
    } catch (error) {
      await engine.close();
      throw error;
    }
    return roster;
  }

  attach(host: RosterHost): void {
    this.#host = host;
    this.#ticker = setInterval(() => void this.#tick(), this.#tickMs);
    this.#reading = this.#readLoop();
  }

  // ---- SharedRoster ------------------------------------------------------------

  get size(): number {
    return this.#mirror.size;
  }

  claim(record: PeerRecord): Promise<string> {
    if (this.#engineStatus.status === "down" || this.#reforming) {
      return Promise.reject(this.#unavailable());
    }
    const token = `${this.#run}/${++this.#tokens}`;
    const entry: ClusterRecord = {
      id: record.id,
      name: record.name,
      nameKey: nameKey(record.name),
      publicKey: record.publicKey,
      address: record.address,
      remoteAddress: record.remoteAddress,
      connectedAt: record.connectedAt,
      reconnects: record.reconnects,
      version: record.version,
      instance: this.instance,
      token,
    };
    return new Promise<void>((resolve, reject) => {
      this.#claimQueue.push({ record: entry, resolve, reject });
      void this.#sendClaims();
    }).then(() => token);
  }

  release(id: string, token: string, reason: LeaveReason): void {
    if (this.#local.get(id)?.token === token) this.#local.delete(id);
    this.#unreleased.set(id, { token, reason });
    void this.#sendReleases();
  }

  async kick(id: string): Promise<boolean> {
    if (this.#engineStatus.status === "down") throw this.#unavailable();
    let reply: ScriptReply;
    try {
      reply = await this.#engine.run("kick", [this.#epoch, this.#maxlen, id]);
    } catch (error) {
      this.#failed(error);
      throw this.#unavailable();
    }
    if (reply[0] !== "ok") {
      void this.#reform();
      throw this.#unavailable();
    }
    return reply[1] === 1;
  }

  subscribe(subscriber: ListSubscriber, resume?: ListPosition): void {
    this.#publisher.subscribe(subscriber, resume);
  }

  unsubscribe(subscriber: ListSubscriber): void {
    this.#publisher.unsubscribe(subscriber);
  }

  peers(): RosterPeer[] {
    const seen = this.#seenAt();
    return [...this.#mirror.values()].map((record) => rosterPeer(record, seen));
  }

  peer(id: string): RosterPeer | undefined {
    const record = this.#mirror.get(id);
    return record && rosterPeer(record, this.#seenAt());
  }

  position(): ListPosition {
    return this.#publisher.position();
  }

  instances(): InstanceStatus[] {
    const now = Date.now();
    return this.#instances.map((instance) => {
      const lastSeenAt = (instance.lastSeen ?? 0) - this.#clockOffset;
      return {
        name: instance.name,
        address: instance.address,
        peers: instance.peers,
        lastSeenAt,
        healthy: this.#engineStatus.status === "up" && now - lastSeenAt < this.#ttlMs,
      };
    }).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Addresses of the healthy instances, for the welcome. */
  liveAddresses(): string[] {
    return this.instances().filter((i) => i.healthy).map((i) => i.address);
  }

  engine(): EngineStatus {
    return { ...this.#engineStatus };
  }

  /** Commands, CPU and memory of the engine, for benchmark reports. */
  engineInfo(section: string): Promise<string> {
    return this.#engine.info(section);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#ticker);
    this.#publisher.close();
    for (const claim of this.#claimQueue.splice(0)) claim.reject(this.#unavailable());
    await this.#engine.close();
    await this.#reading;
    await this.#reforming;
  }

  // ---- claims and releases ---------------------------------------------------------

  /** Sends queued claims as one script call; more queue up meanwhile. */
  async #sendClaims(): Promise<void> {
    if (this.#claiming || this.#claimQueue.length === 0) return;
    this.#claiming = true;
    const batch = this.#claimQueue.splice(0, OPS_PER_ENTRY);
    try {
      const reply = await this.#engine.run("claim", [
        this.#epoch,
        this.#run,
        this.#maxlen,
        ...batch.map((claim) => JSON.stringify(claim.record)),
      ]);
      if (reply[0] !== "ok") {
        for (const claim of batch) claim.reject(this.#unavailable());
        void this.#reform();
        return;
      }
      const seq = Number(reply[1]);
      const results = reply[2] as string[];
      batch.forEach((claim, i) => {
        const result = results[i];
        const { id, token } = claim.record;
        if (result === "ok" && this.#mirror.seq >= seq && this.#mirror.get(id)?.token !== token) {
          // Already read: the same peer registered elsewhere right after this claim.
          claim.reject(
            new ProtocolError("cluster_unavailable", "This peer registered elsewhere meanwhile"),
          );
        } else if (result === "ok") {
          this.#local.set(id, claim.record);
          claim.resolve();
        } else {
          const holder = result.slice("taken:".length);
          claim.reject(
            new ProtocolError(
              "name_taken",
              `Name ${JSON.stringify(claim.record.name)} is in use by another online peer (${
                shortId(holder)
              })`,
            ),
          );
        }
      });
    } catch (error) {
      // The script may have run before the answer was lost: undo whatever it did.
      for (const claim of batch) {
        this.#unreleased.set(claim.record.id, { token: claim.record.token, reason: "timeout" });
        claim.reject(this.#unavailable());
      }
      this.#failed(error);
    } finally {
      this.#claiming = false;
    }
    void this.#sendClaims();
  }

  /** Sends every unconfirmed release as one script call. */
  async #sendReleases(): Promise<void> {
    if (this.#releasing || this.#unreleased.size === 0) return;
    if (this.#engineStatus.status === "down" || this.#reforming) return;
    this.#releasing = true;
    const batch = [...this.#unreleased.entries()].slice(0, OPS_PER_ENTRY);
    try {
      const reply = await this.#engine.run("release", [
        this.#epoch,
        this.#maxlen,
        ...batch.flatMap(([id, { token, reason }]) => [id, token, reason]),
      ]);
      if (reply[0] !== "ok") {
        void this.#reform();
        return;
      }
      for (const [id, release] of batch) {
        if (this.#unreleased.get(id) === release) this.#unreleased.delete(id);
      }
    } catch (error) {
      this.#failed(error);
      return;
    } finally {
      this.#releasing = false;
    }
    void this.#sendReleases();
  }

  // ---- liveness -----------------------------------------------------------------

  /** The scheduled tick; skipped while the list is being formed again (which ticks itself). */
  async #tick(): Promise<void> {
    if (this.#ticking || this.#closed || this.#superseded || this.#reforming) return;
    this.#ticking = true;
    try {
      const outcome = await this.#beat();
      if (outcome === "superseded") this.#supersede();
      // "epoch": the engine lost its state; "dead": this run was reaped while away.
      else if (outcome !== "ok") void this.#reform();
    } catch (error) {
      this.#failed(error);
    } finally {
      this.#ticking = false;
    }
  }

  /** One liveness write and reap; returns the script's verdict. */
  async #beat(): Promise<string> {
    const reply = await this.#engine.run("tick", [
      this.#epoch,
      this.#run,
      this.instance,
      JSON.stringify(this.#status()),
      this.#ttlMs,
      this.#maxlen,
      Math.max(10 * this.#ttlMs, 60_000),
    ]);
    if (reply[0] === "ok") {
      this.#clockOffset = Number(reply[1]) - Date.now();
      this.#instances = (reply.slice(3) as string[]).map((raw) => JSON.parse(raw));
      if (Number(reply[2]) < this.#mirror.seq && this.#mirror.epoch === this.#epoch) {
        // The engine forgot writes this instance has read (a failover to a
        // replica that lagged): the list must form again, in a new epoch.
        this.#options.logger.warn("cluster engine went back in time; forming the list again", {
          engineSeq: Number(reply[2]),
          seenSeq: this.#mirror.seq,
        });
        await this.#engine.run("rewind", [this.#epoch, this.#mirror.seq]);
        return "epoch";
      }
      if (!this.#reforming) {
        this.#up();
        this.#lastHealthy = new Set(
          this.instances().filter((i) => i.healthy && i.name !== this.instance).map((i) => i.name),
        );
      }
    }
    return String(reply[0]);
  }

  #status(): InstanceRecord {
    return {
      name: this.instance,
      address: this.announce,
      peers: this.#local.size,
      run: this.#run,
      seeded: this.#seeded,
    };
  }

  #seenAt(): Map<string, number> {
    return new Map(
      this.#instances.map((i) => [i.name, (i.lastSeen ?? 0) - this.#clockOffset]),
    );
  }

  #connectionChanged(up: boolean, reason?: string): void {
    if (!up) this.#down(reason ?? "the connection to Redis closed");
    // Coming back is confirmed by the next tick, not by the socket alone.
  }

  #failed(error: unknown): void {
    this.#down((error as Error).message);
  }

  #down(reason: string): void {
    if (this.#closed) return;
    if (this.#engineStatus.status === "up") {
      this.#downSince = Date.now();
      this.#options.logger.warn(
        "cluster engine down: serving the peers held here, refusing new ones",
        { reason },
      );
    }
    this.#engineStatus = { status: "down", reason };
  }

  #up(): void {
    if (this.#engineStatus.status === "down") {
      this.#options.logger.info("cluster engine up again", {
        downMs: Date.now() - this.#downSince,
      });
      this.#engineStatus = { status: "up" };
    }
    void this.#sendReleases();
  }

  #supersede(): void {
    if (this.#superseded) return;
    this.#superseded = true;
    this.#down(`another registry now runs as instance ${this.instance}`);
    this.#options.logger.error(
      "a newer registry took this instance's name; letting its peers go elsewhere",
      { instance: this.instance },
    );
    for (const [id, record] of this.#local) this.#disown(id, record.token, "expired");
  }

  // ---- epochs -------------------------------------------------------------------

  /**
   * Joins the list again after the engine lost its state (new epoch) or
   * reaped this run: claims every peer held here, waits for the instances
   * that were healthy to do the same, loads the table and sends everyone a
   * fresh snapshot.
   */
  #reform(): Promise<void> {
    this.#reforming ??= this.#doReform().catch((error) => {
      this.#failed(error);
    }).finally(() => {
      this.#reforming = undefined;
    });
    return this.#reforming;
  }

  async #doReform(): Promise<void> {
    const previousEpoch = this.#epoch;
    const peers = this.#lastHealthy;
    await this.#joinEpoch();
    const newEpoch = this.#epoch !== previousEpoch;
    if (newEpoch) {
      this.#publisher.pause();
      this.#unreleased.clear();
      this.#options.logger.warn("cluster list formed again in a new epoch", {
        epoch: this.#epoch,
        peersHere: this.#local.size,
      });
    }
    await this.#claimAgain([...this.#local.values()]);
    this.#seeded = this.#epoch;
    if (newEpoch) await this.#settle(peers);
    await this.#load();
    this.#up();
  }

  /** Runs JOIN: enters the current epoch, or forms one if the engine has none. */
  async #joinEpoch(): Promise<void> {
    const candidate = `${Date.now().toString(36)}-${
      crypto.getRandomValues(new Uint8Array(6)).toHex()
    }`;
    const reply = await this.#engine.run("join", [
      this.#run,
      this.instance,
      JSON.stringify(this.#status()),
      this.#ttlMs,
      candidate,
    ]);
    this.#epoch = String(reply[0]);
    this.#clockOffset = Number(reply[2]) - Date.now();
  }

  /** Claims peers held here again (same tokens); names taken meanwhile end those sessions. */
  async #claimAgain(records: ClusterRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += OPS_PER_ENTRY) {
      const batch = records.slice(start, start + OPS_PER_ENTRY);
      const reply = await this.#engine.run("claim", [
        this.#epoch,
        this.#run,
        this.#maxlen,
        ...batch.map((record) => JSON.stringify(record)),
      ]);
      if (reply[0] !== "ok") throw new Error(`claiming peers again failed: ${reply[0]}`);
      const results = reply[2] as string[];
      batch.forEach((record, i) => {
        if (results[i] !== "ok") this.#disown(record.id, record.token, "conflict");
      });
    }
  }

  /**
   * Waits until every instance in `peers` has claimed its peers in the
   * current epoch, or until the longest any of them could take (one TTL).
   */
  async #settle(peers: Set<string>): Promise<void> {
    const deadline = Date.now() + this.#ttlMs;
    while (!this.#closed && Date.now() < deadline) {
      const outcome = await this.#beat();
      if (outcome !== "ok") {
        throw new Error(`the cluster list changed again while forming (${outcome})`);
      }
      const seeded = new Set(
        this.#instances.filter((i) => i.seeded === this.#epoch).map((i) => i.name),
      );
      if ([...peers].every((name) => seeded.has(name))) return;
      await new Promise((resolve) => setTimeout(resolve, this.#tickMs));
    }
  }

  /** Loads the whole table and moves the mirror (and peers) to it. */
  async #load(): Promise<void> {
    // Claims confirmed before the load was sent are in what it returns.
    const held = [...this.#local.values()];
    const reply = await this.#engine.run("load", []);
    if (reply[0] === null) throw new Error("the cluster engine lost its epoch while loading");
    const epoch = String(reply[0]);
    const seq = Number(reply[1]);
    this.#clockOffset = Number(reply[2]) - Date.now();
    const records: ClusterRecord[] = [];
    for (let i = 3; i < reply.length; i += 2) records.push(JSON.parse(String(reply[i + 1])));
    const sameEpoch = epoch === this.#mirror.epoch;
    const before = this.#mirror.seq;
    const step = this.#mirror.load(epoch, seq, records);
    this.#epoch = epoch;
    if (sameEpoch) {
      if (seq > before) this.#publisher.append({ from: before + 1, seq, changes: step.changes });
    } else {
      this.#publisher.reset(epoch, seq);
    }
    this.#absorb(step);
    // A peer held here that the table no longer lists was reaped while this instance was away.
    for (const record of held) {
      if (this.#mirror.get(record.id)?.token !== record.token) {
        this.#disown(record.id, record.token, "expired");
      }
    }
  }

  // ---- the change stream ---------------------------------------------------------

  async #readLoop(): Promise<void> {
    while (!this.#closed) {
      if (this.#reforming) {
        await this.#reforming;
        continue;
      }
      const epoch = this.#mirror.epoch;
      const after = this.#mirror.seq;
      let entries: [string, string[]][];
      try {
        entries = await this.#engine.read(KEYS.changes, after, READ_BATCH);
      } catch (error) {
        if (this.#closed) return;
        this.#failed(error);
        await new Promise((resolve) => setTimeout(resolve, this.#tickMs));
        continue;
      }
      // The table was reloaded while this read waited: its answer is stale.
      if (this.#reforming || epoch !== this.#mirror.epoch || after !== this.#mirror.seq) continue;
      try {
        this.#applyEntries(entries);
      } catch (error) {
        if (!(error instanceof StreamGap)) throw error;
        await this.#load().catch((error) => this.#failed(error));
      }
    }
  }

  #applyEntries(entries: [string, string[]][]): void {
    for (const [id, fields] of entries) {
      const seq = Number.parseInt(id, 10);
      const epoch = field(fields, "e");
      if (epoch !== this.#mirror.epoch || seq <= this.#mirror.seq) continue;
      // Trimmed away before we read it: only a reload can tell what changed.
      if (seq !== this.#mirror.seq + 1) throw new StreamGap();
      const ops = JSON.parse(field(fields, "c") ?? "[]") as ClusterOp[];
      const step = this.#mirror.apply(seq, ops);
      this.#publisher.append({ from: seq, seq, changes: step.changes });
      this.#absorb(step);
    }
  }

  /** Tells the registry what a mirror step did, and ends sessions that lost their entry. */
  #absorb(step: MirrorStep): void {
    const seen = this.#seenAt();
    for (const event of step.events) {
      const record = event.record;
      const mine = this.#local.get(record.id);
      if (event.kind === "left") {
        if (mine && mine.token === record.token) {
          this.#disown(record.id, mine.token, event.reason === "kicked" ? "kicked" : "expired");
        }
        this.#host?.changed({ kind: "left", peer: rosterPeer(record, seen), reason: event.reason });
        continue;
      }
      if (mine && mine.token !== record.token && record.instance !== this.instance) {
        this.#disown(record.id, mine.token, "replaced");
      }
      this.#host?.changed({ kind: event.kind, peer: rosterPeer(record, seen) });
    }
  }

  #disown(id: string, token: string, reason: DisownReason): void {
    if (this.#local.get(id)?.token === token) this.#local.delete(id);
    this.#host?.disowned(id, token, reason);
  }

  #unavailable(): ProtocolError {
    return new ProtocolError(
      "cluster_unavailable",
      this.#reforming
        ? "The cluster is forming its list again; retry in a moment"
        : `The cluster engine (Redis) is unreachable (${
          this.#engineStatus.reason ?? "no answer"
        }); this registry keeps serving its peers but admits no new ones until it is back`,
    );
  }
}

/** A stream entry is missing: the reader fell behind the stream's length. */
class StreamGap extends Error {}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function rosterPeer(record: ClusterRecord, seenAt: Map<string, number>): RosterPeer {
  const vouchedAt = seenAt.get(record.instance) ?? record.connectedAt;
  return {
    instance: record.instance,
    vouchedAt,
    record: {
      id: record.id,
      name: record.name,
      publicKey: record.publicKey,
      address: record.address,
      remoteAddress: record.remoteAddress,
      connectedAt: record.connectedAt,
      lastHeartbeatAt: vouchedAt,
      reconnects: record.reconnects,
      version: record.version,
      heartbeats: 0,
      instance: record.instance,
    },
  };
}
