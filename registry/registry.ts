/**
 * The registry: accepts peer connections, keeps the table of who is online,
 * publishes the list, evicts the silent, and answers the read interface the
 * dashboard uses.
 */

import {
  acceptConnections,
  advertiseProblem,
  APP_VERSION,
  formatHostPort,
  formatNetAddr,
  type HostPort,
  isLoopback,
  type LeaveReason,
  type ListPosition,
  nameProblem,
  normalizeName,
  parseHostPort,
  type PeerInfo,
  PROTOCOL_VERSION,
  ProtocolError,
  type RegisterMessage,
  shortId,
} from "../protocol/mod.ts";
import { Notifier } from "../async/mod.ts";
import { type Logger, silentLogger, ThrottledWarning } from "../log/mod.ts";
import { EventLog } from "./event_log.ts";
import { HeartbeatMonitor } from "./heartbeat_monitor.ts";
import { type PeerHistory, PeerHistoryBook } from "./peer_history.ts";
import { PeerListPublisher } from "./peer_list_publisher.ts";
import { MeetingPoint, RELAY_DEFAULTS, type RelayLimits } from "./rendezvous/mod.ts";
import { PeerSession, type SessionHost } from "./peer_session.ts";
import {
  DEFAULT_NETWORK_PREFIXES,
  networkOf,
  type NetworkPrefixes,
  OpenCounter,
  PerMinuteBudget,
  SnapshotGate,
} from "./limits/mod.ts";
import { PeerTable, type TableEntry } from "./peer_table.ts";
import { joinCluster } from "./cluster_join.ts";
import { endDisowned } from "./disowned_session.ts";
import type {
  ClusterOptions,
  DisownReason,
  RosterHost,
  RosterPeer,
  SharedRoster,
} from "./shared_roster.ts";
import type {
  ClusterView,
  PeerRecord,
  RegistryChange,
  RegistryEvent,
  RegistryInfo,
  RegistryStats,
  RegistryView,
} from "./view.ts";

/** How to run a registry. Every field has a default. */
export interface RegistryOptions {
  /** TCP address for peers. Default `0.0.0.0:7070`; port 0 picks a free one. */
  listen?: HostPort;
  /** Interval peers are told to heartbeat at. Default 2000 ms. */
  heartbeatMs?: number;
  /** Missed heartbeats before a peer is evicted. Default 3. */
  evictAfter?: number;
  /** Most peers online at once; more are refused with `registry_full`. Default 50,000. */
  maxPeers?: number;
  /**
   * Largest frame accepted from a peer. Default 4 KiB: nothing a peer sends
   * the registry is larger (a registration is about 500 bytes), so a
   * connection cannot make the registry buffer a megabyte before it has
   * even registered.
   */
  maxFrameBytes?: number;
  /** Time a new connection has to complete registration. Default 10 s. */
  registerTimeoutMs?: number;
  /**
   * Least time between two peer-list flushes (burst coalescing). Default:
   * 10 ms, growing with the number of peers (1 ms per 10) up to 1 s.
   */
  flushIntervalMs?: number;
  /** Events kept for the dashboard. Default 1000. */
  eventLogSize?: number;
  /** Frames one connection may send per second, sustained (burst: twice). Default 50. */
  maxFramesPerSecond?: number;
  /** Registrations one IP may make per minute. Default 600. */
  registrationsPerMinutePerIp?: number;
  /** Connections one IP may hold open without registering (slow-loris). Default 256. */
  maxUnregisteredPerIp?: number;
  /** Connections open without registering, from everyone together. Default 1024. */
  maxUnregistered?: number;
  /** Bytes one connection may send per second, sustained (burst: four times). Default 8 KiB. */
  maxBytesPerSecond?: number;
  /** Peers online from one network (see {@linkcode networkPrefixes}). Default 256. */
  maxPeersPerNetwork?: number;
  /** How addresses group into a network for the per-network limit. Default /24 and /64. */
  networkPrefixes?: NetworkPrefixes;
  /** Least time between two snapshots to one session. Default 30 s. */
  snapshotIntervalMs?: number;
  /** Snapshot bytes one IP may be sent per minute. Default 64 MiB. */
  snapshotBytesPerMinutePerIp?: number;
  /**
   * Addresses peers dial this registry at other than the one their
   * connection arrives at (a port forward, a TCP proxy, a NAT in front):
   * registrations naming any other registry are refused (`wrong_registry`).
   * A cluster instance's announced address is always one. Default: none.
   */
  publicAddresses?: string[];
  /** Share the peer table with other registries (see docs/CLUSTER.md). Default: alone. */
  cluster?: ClusterOptions;
  /** Relaying for peers that cannot punch through (`--relay-max`, `--relay-kbps`, …). */
  relay?: RelayLimits;
  logger?: Logger;
}

const DEFAULTS = {
  listen: { hostname: "0.0.0.0", port: 7070 },
  heartbeatMs: 2000,
  evictAfter: 3,
  maxPeers: 50_000,
  maxFrameBytes: 4 * 1024,
  registerTimeoutMs: 10_000,
  flushIntervalMs: undefined as number | undefined,
  eventLogSize: 1000,
  maxFramesPerSecond: 50,
  registrationsPerMinutePerIp: 600,
  maxUnregisteredPerIp: 256,
  maxUnregistered: 1024,
  maxBytesPerSecond: 8 * 1024,
  maxPeersPerNetwork: 256,
  networkPrefixes: DEFAULT_NETWORK_PREFIXES,
  snapshotIntervalMs: 30_000,
  snapshotBytesPerMinutePerIp: 64 * 1024 * 1024,
  publicAddresses: [] as string[],
  cluster: undefined as ClusterOptions | undefined,
  relay: {} as RelayLimits,
};

// Registry connections carry small frames; a small read buffer per
// connection keeps ten thousand idle peers cheap.
const SESSION_READ_BUFFER_BYTES = 512;
// The list frames a session is sent are shared by every session; a slow
// reader's backlog copied into 256 KiB batches would be its own, thousands
// of them at once while a crowd joins (and the allocator keeps what they
// grew the process to). Small frames (acks, deltas) still share a write.
const SESSION_WRITE_BATCH_BYTES = 16 * 1024;

/**
 * A running registry.
 *
 * @example
 * ```ts
 * await using registry = await Registry.start({ listen: { hostname: "127.0.0.1", port: 0 } });
 * console.log(registry.info().listen);
 * ```
 */
export class Registry implements RegistryView, AsyncDisposable {
  readonly epoch: string;
  readonly heartbeatMs: number;
  readonly evictAfter: number;
  readonly #options: typeof DEFAULTS & { logger: Logger };
  readonly #listener: Deno.TcpListener;
  readonly #startedAt = Date.now();
  readonly #table = new PeerTable<PeerSession>();
  readonly #sessions = new Set<PeerSession>();
  /** Wakes the shutdown when the last session has ended. */
  readonly #sessionEnded = new Notifier();
  readonly #publisher: PeerListPublisher;
  readonly #monitor: HeartbeatMonitor;
  readonly #events: EventLog;
  // Anyone can make the registry refuse a connection: one line per second per code.
  readonly #refusals: ThrottledWarning;
  readonly #histories = new PeerHistoryBook();
  readonly #host: SessionHost;
  readonly #registrationBudget: PerMinuteBudget;
  readonly #unregistered: OpenCounter;
  /** Peers online per network (IPv4 /24, IPv6 /64 by default). */
  readonly #perNetwork: OpenCounter;
  readonly #snapshots: SnapshotGate<PeerSession>;
  readonly #listeners = new Set<(change: RegistryChange) => void>();
  /** The table shared with other instances, in a cluster. */
  readonly #roster: SharedRoster | undefined;
  readonly #meetingPoint: MeetingPoint;
  readonly #stats: Omit<RegistryStats, "punches" | "relay"> = {
    peersOnline: 0,
    connectionsOpen: 0,
    connectionsAccepted: 0,
    registrations: 0,
    sessionReplacements: 0,
    peerReconnects: 0,
    registrationsRefused: 0,
    leaves: { bye: 0, timeout: 0, kicked: 0 },
    evictions: 0,
    heartbeats: 0,
    framesRejected: 0,
    handshakesFailed: 0,
    rateLimited: 0,
    deltasSent: 0,
    snapshotsSent: 0,
    snapshotsDeferred: 0,
    deltaResumes: 0,
    acceptFailures: 0,
  };
  #accepting: Promise<void>;
  #shutdown: Promise<void> | undefined;

  private constructor(
    listener: Deno.TcpListener,
    options: typeof DEFAULTS & { logger: Logger },
    roster: SharedRoster | undefined,
  ) {
    this.#listener = listener;
    this.#options = options;
    this.#roster = roster;
    this.epoch = newEpoch();
    this.heartbeatMs = options.heartbeatMs;
    this.evictAfter = options.evictAfter;
    this.#registrationBudget = new PerMinuteBudget(options.registrationsPerMinutePerIp);
    this.#unregistered = new OpenCounter(options.maxUnregisteredPerIp, options.maxUnregistered);
    this.#perNetwork = new OpenCounter(options.maxPeersPerNetwork);
    this.#meetingPoint = new MeetingPoint({
      sessionOf: (peerId) => this.#table.get(peerId)?.session,
      relay: { maxFrameBytes: options.maxFrameBytes, ...options.relay },
      cluster: roster?.meetings && {
        bus: roster.meetings,
        instanceOf: (peerId) => roster.peer(peerId)?.instance,
        logger: options.logger,
      },
    });
    // The narrow side of the registry that sessions talk to.
    this.#host = {
      epoch: this.epoch,
      publicAddresses: roster
        ? [...options.publicAddresses, roster.announce]
        : options.publicAddresses,
      heartbeatMs: options.heartbeatMs,
      evictAfter: options.evictAfter,
      registerTimeoutMs: options.registerTimeoutMs,
      maxFramesPerSecond: options.maxFramesPerSecond,
      maxBytesPerSecond: options.maxBytesPerSecond,
      connectionOpened: (session) => {
        const refused = this.#unregistered.open(session.remoteHost);
        if (refused === "key") {
          throw new ProtocolError(
            "rate_limited",
            `Too many unregistered connections from ${session.remoteHost} ` +
              `(${this.#unregistered.limit}); finish registering or close some`,
          );
        }
        if (refused === "total") {
          throw new ProtocolError(
            "rate_limited",
            `Too many connections are registering at once ` +
              `(${this.#unregistered.totalLimit}); try again shortly`,
          );
        }
        counted.add(session);
      },
      connectionSettled: (session) => {
        if (counted.delete(session)) this.#unregistered.close(session.remoteHost);
      },
      checkRegistrationRate: (session) => {
        if (!this.#registrationBudget.spend(session.remoteHost)) {
          throw new ProtocolError(
            "rate_limited",
            `Too many registrations from ${session.remoteHost}: ` +
              `${this.#registrationBudget.limit} per minute`,
          );
        }
      },
      admit: (session, registration) => this.#admitOrRefuse(session, registration),
      refused: (_session, registration, error) => this.#countRefusal(registration, error),
      heartbeat: (session) => this.#heartbeat(session),
      requestSnapshot: (session, resume) => this.#subscribe(session, resume),
      clusterInstances: roster && (() => roster.liveAddresses()),
      depart: (session, reason) => this.#remove(session, reason),
      rejected: (session, error) => this.#rejected(session, error),
      failed: (session, error) => {
        this.#options.logger.error("session failed", { error: String(error) });
        session.close();
      },
      ended: (session) => this.#sessionOver(session),
      rendezvous: (session, message) => this.#meetingPoint.handle(session, message),
    };
    this.#events = new EventLog(options.eventLogSize);
    this.#refusals = new ThrottledWarning(options.logger, "connection refused");
    const counted = new WeakSet<PeerSession>();
    this.#publisher = new PeerListPublisher({
      epoch: this.epoch,
      flushIntervalMs: options.flushIntervalMs,
      currentPeers: () => [...this.#table.values()].map(({ record }) => publicInfo(record)),
      peerCount: () => this.#table.size,
      onSent: (kind, frames) => this.#countSent(kind, frames),
    });
    this.#snapshots = new SnapshotGate({
      intervalMs: options.snapshotIntervalMs,
      bytesPerMinutePerIp: options.snapshotBytesPerMinutePerIp,
      snapshotBytes: () => this.#publisher.snapshotBytes(),
      grant: (session) => {
        if (this.#roster) this.#roster.subscribe(session);
        else this.#publisher.subscribe(session);
      },
      deferred: () => this.#stats.snapshotsDeferred++,
    });
    this.#monitor = new HeartbeatMonitor({
      heartbeatMs: options.heartbeatMs,
      evictAfter: options.evictAfter,
      records: () => [...this.#table.values()].map(({ record }) => record),
      evict: (record) => this.#evict(record),
    });
    this.#monitor.start();
    roster?.attach(this.#rosterHost());
    this.#accepting = this.#acceptLoop();
  }

  /**
   * Binds the listener, joins the cluster if one is asked for, and starts
   * serving. Rejects if the address is in use, or with `ClusterJoinError`.
   */
  static async start(options: RegistryOptions = {}): Promise<Registry> {
    const settings = {
      ...DEFAULTS,
      ...withoutUndefined(options),
      logger: options.logger ?? silentLogger,
    };
    const listener = Deno.listen({
      hostname: settings.listen.hostname,
      port: settings.listen.port,
      transport: "tcp",
    });
    let roster: SharedRoster | undefined;
    if (settings.cluster) {
      // Counted by the registry once it exists; sends only start after that.
      const counters = { onSent: (_kind: "delta" | "snapshot", _frames: number) => {} };
      try {
        roster = await joinCluster(settings.cluster, {
          bound: listener.addr,
          heartbeatMs: settings.heartbeatMs,
          evictAfter: settings.evictAfter,
          flushIntervalMs: settings.flushIntervalMs,
          logger: settings.logger,
          onSent: (kind, frames) => counters.onSent(kind, frames),
        });
      } catch (error) {
        listener.close();
        throw error;
      }
      const registry = new Registry(listener, settings, roster);
      counters.onSent = (kind, frames) => registry.#countSent(kind, frames);
      return registry;
    }
    return new Registry(listener, settings, undefined);
  }

  // ---- RegistryView ------------------------------------------------------------

  info(): RegistryInfo {
    return {
      version: APP_VERSION,
      protocol: PROTOCOL_VERSION,
      epoch: this.epoch,
      startedAt: this.#startedAt,
      listen: formatHostPort(this.#listener.addr),
      heartbeatMs: this.heartbeatMs,
      evictAfter: this.evictAfter,
      maxPeers: this.#options.maxPeers,
      limits: {
        maxFrameBytes: this.#options.maxFrameBytes,
        maxFramesPerSecond: this.#options.maxFramesPerSecond,
        maxBytesPerSecond: this.#options.maxBytesPerSecond,
        registerTimeoutMs: this.#options.registerTimeoutMs,
        registrationsPerMinutePerIp: this.#options.registrationsPerMinutePerIp,
        maxUnregisteredPerIp: this.#options.maxUnregisteredPerIp,
        maxUnregistered: this.#options.maxUnregistered,
        maxPeersPerNetwork: this.#options.maxPeersPerNetwork,
        networkPrefixes: { ...this.#options.networkPrefixes },
        snapshotIntervalMs: this.#options.snapshotIntervalMs,
        snapshotBytesPerMinutePerIp: this.#options.snapshotBytesPerMinutePerIp,
        ...relayLimits(this.#options.relay),
      },
    };
  }

  stats(): RegistryStats {
    return {
      ...this.#stats,
      leaves: { ...this.#stats.leaves },
      peersOnline: this.#roster?.size ?? this.#table.size,
      connectionsOpen: this.#sessions.size,
      ...this.#meetingPoint.stats(),
    };
  }

  peers(): PeerRecord[] {
    if (this.#roster) return this.#roster.peers().map((peer) => this.#clusterRecord(peer));
    return [...this.#table.values()].map(({ record }) => ({ ...record }));
  }

  peer(id: string): PeerRecord | undefined {
    if (this.#roster) {
      const peer = this.#roster.peer(id);
      return peer && this.#clusterRecord(peer);
    }
    const entry = this.#table.get(id);
    return entry && { ...entry.record };
  }

  cluster(): ClusterView | undefined {
    const roster = this.#roster;
    if (!roster) return undefined;
    return {
      instance: roster.instance,
      announce: roster.announce,
      peersHere: this.#table.size,
      list: roster.position(),
      instances: roster.instances(),
      engine: roster.engine(),
    };
  }

  peerHistory(id: string): PeerHistory | undefined {
    return this.#histories.get(id);
  }

  recentEvents(limit?: number): RegistryEvent[] {
    return this.#events.recent(limit);
  }

  subscribe(listener: (change: RegistryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  kick(id: string): boolean | Promise<boolean> {
    const entry = this.#table.get(id);
    if (entry) {
      this.#remove(entry.session, "kicked");
      void entry.session.sayGoodbye("kicked");
      return this.#roster ? Promise.resolve(true) : true;
    }
    // On another instance: the shared table removes it, its own instance says goodbye.
    return this.#roster?.kick(id) ?? false;
  }

  // ---- lifecycle ---------------------------------------------------------------

  /**
   * Tells every peer the registry is going away, closes all connections and
   * the listener, and resolves when nothing is left running. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  async #doShutdown(): Promise<void> {
    this.#monitor.stop();
    this.#publisher.close();
    this.#snapshots.close();
    this.#meetingPoint.shutdown();
    this.#listener.close();
    await this.#accepting;
    const goodbyes = [...this.#sessions].map((session) => session.sayGoodbye("shutdown"));
    await Promise.all(goodbyes);
    while (this.#sessions.size > 0) await this.#sessionEnded.next();
    // Entries stay on the shared table until this instance's liveness runs
    // out: its peers have that long to register elsewhere without "leaving".
    await this.#roster?.close();
    this.#listeners.clear();
    this.#refusals.close();
  }

  #acceptLoop(): Promise<void> {
    const logger = this.#options.logger;
    return acceptConnections(this.#listener, (conn) => {
      conn.setNoDelay(true);
      this.#stats.connectionsAccepted++;
      const session = new PeerSession(conn, this.#host, {
        maxFrameBytes: this.#options.maxFrameBytes,
        readBufferBytes: SESSION_READ_BUFFER_BYTES,
        writeBatchBytes: SESSION_WRITE_BATCH_BYTES,
      });
      this.#sessions.add(session);
      session.start();
    }, {
      failed: () => this.#stats.acceptFailures++,
      failing: (error) => {
        logger.error("cannot accept connections; backing off, still serving the open ones", {
          error: error.message,
        });
      },
      recovered: (failures) => {
        logger.info("accepting connections again", { failedAttempts: failures });
      },
    });
  }

  /** A session ended (its connection is closed): nothing more is sent to it. */
  #sessionOver(session: PeerSession): void {
    this.#sessions.delete(session);
    this.#snapshots.forget(session);
    this.#meetingPoint.sessionEnded(session);
    if (this.#sessions.size === 0) this.#sessionEnded.notify();
  }

  #admitOrRefuse(
    session: PeerSession,
    registration: RegisterMessage,
  ): PeerRecord | Promise<PeerRecord> {
    const refusal = (error: unknown) => {
      if (error instanceof ProtocolError) this.#countRefusal(registration, error);
      throw error;
    };
    try {
      const record = this.#admit(session, registration);
      return record instanceof Promise ? record.catch(refusal) : record;
    } catch (error) {
      return refusal(error);
    }
  }

  /**
   * The list for `session`: only the deltas it missed when `resume` names a
   * position still held, else a snapshot when the session's limits allow.
   */
  #subscribe(session: PeerSession, resume: ListPosition | undefined): void {
    if (resume && this.#roster) return this.#roster.subscribe(session, resume);
    if (resume && this.#publisher.resume(session, resume)) {
      this.#stats.deltaResumes++;
      return;
    }
    this.#snapshots.request(session);
  }

  #unsubscribe(session: PeerSession): void {
    if (this.#roster) this.#roster.unsubscribe(session);
    else this.#publisher.unsubscribe(session);
  }

  #countSent(kind: "delta" | "snapshot", frames: number): void {
    if (kind === "delta") this.#stats.deltasSent += frames;
    else this.#stats.snapshotsSent += frames;
  }

  #countRefusal(registration: RegisterMessage, error: ProtocolError): void {
    this.#stats.registrationsRefused++;
    this.#log("refuse", {
      id: registration.id,
      name: registration.name,
      detail: `${error.code}: ${error.message}`,
    });
  }

  #heartbeat(session: PeerSession): void {
    const record = this.#ownRecord(session);
    if (!record) return;
    record.lastHeartbeatAt = Date.now();
    record.heartbeats++;
    this.#histories.heartbeat(record.id, record.lastHeartbeatAt);
    this.#stats.heartbeats++;
    if (this.#listeners.size > 0) this.#notify({ kind: "heartbeat", peer: { ...record } });
  }

  /** Takes the session's peer off the list (if it still owns its entry). */
  #remove(
    session: PeerSession,
    reason: LeaveReason,
    eventKind: RegistryEvent["kind"] = reason === "kicked" ? "kick" : "leave",
    detail: string = reason,
  ): void {
    this.#unsubscribe(session);
    const entry = this.#ownEntry(session);
    // At shutdown everyone goes at once and already knows why: no departures to record.
    if (!entry || this.#shutdown) return;
    const record = entry.record;
    this.#table.delete(record.id);
    if (record.network !== undefined) this.#perNetwork.close(record.network);
    this.#histories.sessionEnded(record.id, reason);
    this.#stats.leaves[reason]++;
    if (this.#roster) {
      // Everyone, here too, hears of it from the shared table.
      this.#roster.release(record.id, entry.token!, reason);
    } else {
      this.#publisher.publish({ op: "left", id: record.id, reason });
      this.#notify({ kind: "left", peer: { ...record }, reason });
    }
    this.#log(eventKind, { ...eventFields(record), detail });
    this.#options.logger.info("peer left", { name: record.name, id: shortId(record.id), reason });
  }

  #rejected(session: PeerSession, error: ProtocolError): void {
    this.#stats.framesRejected++;
    if (error.code === "rate_limited") this.#stats.rateLimited++;
    else if (session.peerId === undefined) this.#stats.handshakesFailed++;
    this.#refusals.warn(error.code, {
      remote: session.remoteHost,
      code: error.code,
      reason: error.message,
    });
  }

  /** The live table entry behind `session`, if the session still owns it. */
  #ownEntry(session: PeerSession): TableEntry<PeerSession> | undefined {
    const id = session.peerId;
    const entry = id === undefined ? undefined : this.#table.get(id);
    return entry?.session === session ? entry : undefined;
  }

  /** The live table record behind `session`, if the session still owns it. */
  #ownRecord(session: PeerSession): PeerRecord | undefined {
    return this.#ownEntry(session)?.record;
  }

  #admit(session: PeerSession, registration: RegisterMessage): PeerRecord | Promise<PeerRecord> {
    const name = normalizeName(registration.name);
    const problem = nameProblem(name);
    if (problem) throw new ProtocolError("invalid_message", problem);
    const address = this.#publishedAddress(session, registration);
    const holder = this.#table.holderOf(name);
    if (holder !== undefined && holder !== registration.id) {
      throw new ProtocolError(
        "name_taken",
        `Name ${JSON.stringify(name)} is in use by another online peer (${shortId(holder)})`,
      );
    }
    const previous = this.#table.get(registration.id);
    if (!previous && this.#table.size >= this.#options.maxPeers) {
      throw new ProtocolError(
        "registry_full",
        `Registry is full: ${this.#options.maxPeers} peers are online`,
      );
    }
    const network = networkOf(session.remoteHost, this.#options.networkPrefixes);
    const previousNetwork = previous?.record.network;
    if (previousNetwork !== undefined) this.#perNetwork.close(previousNetwork);
    if (this.#perNetwork.open(network) !== null) {
      if (previousNetwork !== undefined) this.#perNetwork.open(previousNetwork);
      throw new ProtocolError(
        "rate_limited",
        `Too many peers online from ${network} (${this.#perNetwork.limit}); ` +
          `one network may not fill the registry or hold every name`,
      );
    }
    const now = Date.now();
    const record: PeerRecord = {
      id: registration.id,
      name,
      publicKey: registration.publicKey,
      address,
      remoteAddress: session.remoteHost,
      network,
      connectedAt: now,
      lastHeartbeatAt: now,
      reconnects: registration.reconnects,
      version: registration.client,
      heartbeats: 0,
    };
    if (!this.#roster) return this.#enter(session, record, previous);
    // The shared table decides on the name cluster-wide, then the session is ours.
    record.instance = this.#roster.instance;
    return this.#roster.claim(record).then((token) =>
      this.#enter(session, record, this.#table.get(record.id), token)
    );
  }

  /** Puts an admitted peer on the table and tells everyone (a cluster: its table tells them). */
  #enter(
    session: PeerSession,
    record: PeerRecord,
    previous: TableEntry<PeerSession> | undefined,
    token?: string,
  ): PeerRecord {
    const { name, address } = record;
    const now = record.connectedAt;
    this.#table.set({ record, session, token });
    this.#histories.sessionStarted(record.id, name, {
      connectedAt: now,
      address,
      reconnects: record.reconnects,
      version: record.version,
    });
    this.#stats.registrations++;
    if (record.reconnects > 0) this.#stats.peerReconnects++;
    if (previous) {
      // Same key, new connection: the peer reconnected before its old
      // session was noticed as dead. Replace quietly; others see an update.
      this.#unsubscribe(previous.session);
      previous.session.close();
      this.#stats.sessionReplacements++;
      if (!this.#roster) {
        this.#publisher.publish({ op: "updated", peer: publicInfo(record) });
        this.#notify({ kind: "updated", peer: { ...record } });
      }
    } else if (!this.#roster) {
      this.#publisher.publish({ op: "joined", peer: publicInfo(record) });
      this.#notify({ kind: "joined", peer: { ...record } });
    }
    this.#log(record.reconnects > 0 || previous ? "rejoin" : "join", eventFields(record));
    this.#options.logger.info("peer registered", {
      name,
      id: shortId(record.id),
      address,
      reconnects: record.reconnects,
    });
    return record;
  }

  #publishedAddress(session: PeerSession, registration: RegisterMessage): string {
    if (registration.advertise === undefined) {
      return formatHostPort({ hostname: session.remoteHost, port: registration.listenPort });
    }
    let advertised: HostPort;
    try {
      advertised = parseHostPort(registration.advertise);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new ProtocolError("invalid_message", `Field "advertise": ${error.message}`);
    }
    // A peer on this machine may advertise loopback (everyone who can
    // register from here dials from here too); one from elsewhere may not.
    const problem = advertiseProblem(advertised, {
      loopbackAllowed: isLoopback(session.remoteHost),
    });
    if (problem) throw new ProtocolError("invalid_message", `Field "advertise": ${problem}`);
    return formatNetAddr(advertised);
  }

  /** How the shared table reaches this registry. */
  #rosterHost(): RosterHost {
    return {
      changed: (change) => {
        const peer = this.#clusterRecord(change.peer);
        if (change.kind === "left") this.#notify({ kind: "left", peer, reason: change.reason });
        else this.#notify({ kind: change.kind, peer });
      },
      disowned: (id, token, reason) => this.#disowned(id, token, reason),
    };
  }

  /** A session of ours lost its entry on the shared table: end it, releasing nothing. */
  #disowned(id: string, token: string, reason: DisownReason): void {
    const entry = this.#table.get(id);
    if (!entry || entry.token !== token || this.#shutdown) return;
    const { record, session } = entry;
    this.#table.delete(id);
    this.#unsubscribe(session);
    this.#histories.sessionEnded(id, reason === "kicked" ? "kicked" : "timeout");
    if (reason === "kicked") this.#stats.leaves.kicked++;
    if (reason === "replaced") this.#stats.sessionReplacements++;
    const logged = endDisowned(session, record, reason);
    if (logged) this.#log(logged.kind, { ...eventFields(record), detail: logged.detail });
    this.#options.logger.info("peer session ended by the cluster", {
      name: record.name,
      id: shortId(id),
      reason,
    });
  }

  /** A cluster peer as the view shows it: with live heartbeat figures when it is ours. */
  #clusterRecord(peer: RosterPeer): PeerRecord {
    const local = this.#table.get(peer.record.id);
    if (local && local.record.instance === peer.instance) {
      return { ...local.record, instance: peer.instance };
    }
    return { ...peer.record };
  }

  #evict(record: PeerRecord): void {
    const entry = this.#table.get(record.id);
    if (!entry) return;
    this.#stats.evictions++;
    const silence = Date.now() - record.lastHeartbeatAt;
    this.#remove(entry.session, "timeout", "evict", `no heartbeat for ${silence} ms`);
    entry.session.close();
  }

  #log(kind: RegistryEvent["kind"], fields: Omit<RegistryEvent, "seq" | "at" | "kind">): void {
    const event = this.#events.append({ kind, ...fields });
    this.#notify({ kind: "event", event });
  }

  #notify(change: RegistryChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#options.logger.error("registry subscriber failed", { error: String(error) });
      }
    }
  }
}

/** The relay's limits in force, for the view (0 circuits when relaying is off). */
function relayLimits(relay: RelayLimits) {
  return {
    relayMaxCircuits: relay.enabled === false ? 0 : relay.maxCircuits ?? RELAY_DEFAULTS.maxCircuits,
    relayKbps: relay.kbps ?? RELAY_DEFAULTS.kbps,
    relayIdleMs: relay.idleMs ?? RELAY_DEFAULTS.idleMs,
  };
}

function publicInfo(record: PeerRecord): PeerInfo {
  return { id: record.id, name: record.name, address: record.address };
}

function eventFields(record: PeerRecord): Pick<RegistryEvent, "id" | "name" | "address"> {
  return { id: record.id, name: record.name, address: record.address };
}

function newEpoch(): string {
  return `${Date.now().toString(36)}-${crypto.getRandomValues(new Uint8Array(6)).toHex()}`;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<
    T
  >;
}
