/**
 * The shared peer table on Redis, as one registry instance runs it:
 *
 * - **claims and releases** go through scripts that order them cluster-wide
 *   and fence them by session token, batched while one is in flight;
 * - a **tick** (two per heartbeat interval) keeps this instance's run alive
 *   and reaps the peers of runs that stopped ticking — one command per tick,
 *   however many peers heartbeat here;
 * - a **reader** follows the change stream, moves the mirror forward and
 *   feeds the publisher, which sends this instance's peers their deltas;
 * - when the engine **goes away**, peers held here are kept and served, new
 *   claims are refused with `cluster_unavailable`, releases wait; when it
 *   **comes back empty**, a new epoch is formed: every instance claims its
 *   peers again, waits for the others it knew, and sends a fresh snapshot.
 */

import { type LeaveReason, type ListPosition, nameKey, ProtocolError } from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import type { ListSubscriber } from "../peer_list_publisher.ts";
import {
  type DisownReason,
  instanceTtlMs,
  MOVE_GRACE_MS,
  type RosterHost,
  type RosterPeer,
  type SharedRoster,
} from "../shared_roster.ts";
import type { EngineStatus, InstanceStatus, PeerRecord } from "../view.ts";
import { ClusterPublisher } from "./cluster_publisher.ts";
import { ClaimWriter } from "./claim_writer.ts";
import { InstanceBoard } from "./instance_board.ts";
import { Engine, type ScriptReply } from "./engine.ts";
import { RedisMeetingBus } from "./redis_meeting_bus.ts";
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

/** Stream entries read per round trip. */
const READ_BATCH = 1000;

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
  readonly #writer: ClaimWriter;
  /** Punch and relay messages between this instance's peers and other instances'. */
  meetings: RedisMeetingBus | undefined;
  #host: RosterHost | undefined;
  #epoch: string;
  #seeded: string;
  #tokens = 0;
  #engineStatus: EngineStatus = { status: "up" };
  #downSince = 0;
  readonly #board: InstanceBoard;
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
    // Twice per heartbeat interval, and at least eight times per TTL: health
    // on dashboards stays as fresh as a heartbeat, and a live run never
    // comes near its deadline.
    this.#tickMs = Math.max(20, Math.floor(Math.min(options.heartbeatMs / 2, this.#ttlMs / 8)));
    this.#maxlen = options.historyEntries ?? 10_000;
    this.#board = new InstanceBoard(options.instance, this.#ttlMs);
    this.#epoch = "";
    this.#seeded = "";
    this.#writer = new ClaimWriter(engine, {
      epoch: () => this.#epoch,
      run,
      maxlen: this.#maxlen,
      writable: () => this.#engineStatus.status === "up" && !this.#reforming,
      claimed: (record, seq) => {
        // Already read past it, and the entry is someone else's: it registered elsewhere since.
        if (this.#mirror.seq >= seq && this.#mirror.get(record.id)?.token !== record.token) {
          return false;
        }
        this.#local.set(record.id, record);
        return true;
      },
      lostEpoch: () => void this.#reform(),
      failed: (error) => this.#failed(error),
      unavailable: () => this.#unavailable(),
    });
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
    // Long enough that a busy machine is not taken for a dead engine, short
    // enough that a frozen one is noticed well within an instance's TTL.
    const ttlMs = instanceTtlMs(options.heartbeatMs, options.evictAfter);
    const commandTimeoutMs = Math.min(10_000, Math.max(2000, Math.floor(ttlMs / 3)));
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
      roster.meetings = await RedisMeetingBus.connect({
        url: options.url,
        instance: options.instance,
        commandTimeoutMs,
        logger: options.logger,
      });
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
    return this.#writer.claim(entry).then(() => token);
  }

  release(id: string, token: string, reason: LeaveReason): void {
    if (this.#local.get(id)?.token === token) this.#local.delete(id);
    this.#writer.release(id, token, reason);
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
    const seen = this.#board.lastSeen();
    return [...this.#mirror.values()].map((record) => rosterPeer(record, seen));
  }

  peer(id: string): RosterPeer | undefined {
    const record = this.#mirror.get(id);
    return record && rosterPeer(record, this.#board.lastSeen());
  }

  position(): ListPosition {
    return this.#publisher.position();
  }

  instances(): InstanceStatus[] {
    return this.#board.statuses(this.#engineStatus.status === "up");
  }

  /** Addresses of the healthy instances, for the welcome. */
  liveAddresses(): string[] {
    return this.instances().filter((i) => i.healthy).map((i) => i.address);
  }

  engine(): EngineStatus {
    return { ...this.#engineStatus };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#ticker);
    this.#publisher.close();
    this.#writer.close();
    await Promise.all([this.#engine.close(), this.meetings?.close()]);
    await this.#reading;
    await this.#reforming;
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
    // Read before asking: entries read while the answer travels are newer than it.
    const seen = { epoch: this.#mirror.epoch, seq: this.#mirror.seq };
    const reply = await this.#engine.run("tick", [
      this.#epoch,
      this.#run,
      this.instance,
      JSON.stringify(this.#status()),
      this.#ttlMs,
      this.#maxlen,
      Math.max(10 * this.#ttlMs, 60_000),
      MOVE_GRACE_MS,
    ]);
    if (reply[0] === "ok") {
      this.#board.clock(Number(reply[1]));
      if (Number(reply[2]) < seen.seq && seen.epoch === this.#epoch) {
        // The engine forgot writes this instance has read (a failover to a
        // replica that lagged): the list must form again, in a new epoch.
        this.#options.logger.warn("cluster engine went back in time; forming the list again", {
          engineSeq: Number(reply[2]),
          seenSeq: seen.seq,
        });
        await this.#engine.run("rewind", [this.#epoch, seen.seq]);
        return "epoch";
      }
      if (!this.#reforming) this.#up();
      const records = (reply.slice(3) as string[]).map((raw) => JSON.parse(raw));
      this.#board.update(records, !this.#reforming && this.#engineStatus.status === "up");
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
    void this.#writer.flush();
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
    const peers = this.#board.lastHealthy;
    await this.#joinEpoch();
    const newEpoch = this.#epoch !== previousEpoch;
    if (newEpoch) {
      this.#publisher.pause();
      this.#writer.forgetReleases();
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
    this.#board.clock(Number(reply[2]));
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
      const seeded = this.#board.seededIn(this.#epoch);
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
    this.#board.clock(Number(reply[2]));
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
    const seen = this.#board.lastSeen();
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
