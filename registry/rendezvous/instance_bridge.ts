/**
 * Punch tries and relay circuits between peers registered on different
 * instances of a cluster. A try or circuit lives on the *target's* instance,
 * whose broker and switchboard run it exactly as for two local peers; the
 * requester's instance only passes messages on:
 *
 * - a `punch_request` or `relay_open` for a peer registered elsewhere goes
 *   to that peer's instance (with the address this instance observes the
 *   requester at), and this instance remembers the try or circuit as a
 *   *route* to it, owned by the requester's session;
 * - what the requester sends later for that try or circuit follows its route;
 * - what the target's instance sends back for the requester is handed to the
 *   requester's session here; a `relay_close` or `punch_failed` ends the route;
 * - when the requester's session ends, its routes go and their instances are
 *   told, which end the tries and circuits as for a local session.
 *
 * On the target's instance the requester is a {@linkcode RemoteSession}.
 * Nothing here decides anything the broker and switchboard do not already
 * decide for local peers: limits, rates and counters are the target
 * instance's.
 */

import type {
  MeetingEnvelope,
  RelayDataMessage,
  RendezvousToPeer,
  RendezvousToRegistry,
} from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import type { MeetingBus } from "./meeting_bus.ts";
import type { MeetingSession } from "./meeting_session.ts";
import { relayedBytes } from "./relay_circuit.ts";
import { RemoteSession } from "./remote_session.ts";

/** What the bridge needs of the meeting point it serves. */
export interface InstanceBridgeOptions {
  bus: MeetingBus;
  /** The instance a peer is registered on, from the shared table. */
  instanceOf(peerId: string): string | undefined;
  /** The session of a peer registered here. */
  sessionOf(peerId: string): MeetingSession | undefined;
  /** Runs a message as if from a local session (the broker and switchboard). */
  dispatch(session: MeetingSession, message: RendezvousToRegistry): void;
  /** A remote peer's session ended: its tries and circuits here end. */
  ended(session: MeetingSession): void;
  /** Whether any try or circuit here still involves `session`. */
  holds(session: MeetingSession): boolean;
  logger: Logger;
}

/** A try or circuit of a local peer that lives on another instance. */
interface Route {
  key: string;
  session: MeetingSession;
  /** The session's peer ID when the route was made (a `bye` clears the session's). */
  peerId: string;
  instance: string;
  at: number;
  /** Bytes that may still be on the way once the circuit closes (its window and a chunk). */
  allowance: number;
}

/** Routes one session may hold at once; more are refused as the broker and relay would. */
const MAX_ROUTES_PER_SESSION = 64;
/** A punch route is forgotten after this long (as the broker forgets its tries). */
const PUNCH_ROUTE_MS = 30_000;
/** Bytes for a circuit that just closed are dropped quietly for this long. */
const CLOSED_GRACE_MS = 10_000;
const MAX_CLOSED_REMEMBERED = 4096;
/** A remote peer that has nothing here for this long is forgotten. */
const REMOTE_IDLE_MS = 60_000;
/** A local receiver this far behind with writing loses the cross-instance circuit. */
const RECEIVER_BACKLOG_BYTES = 1024 * 1024;
/** Until `relay_ready` names the circuit's window: the smallest any registry gives, and a chunk. */
const DEFAULT_ALLOWANCE = 64 * 1024 + 16 * 1024;

/** Carries one instance's side of cross-instance tries and circuits. */
export class InstanceBridge {
  readonly #options: InstanceBridgeOptions;
  readonly #routes = new Map<string, Route>();
  readonly #bySession = new Map<MeetingSession, Set<Route>>();
  readonly #closed = new Map<string, { session: MeetingSession; at: number; allowance: number }>();
  readonly #remotes = new Map<string, RemoteSession>();
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(options: InstanceBridgeOptions) {
    this.#options = options;
    this.#sweeper = setInterval(() => this.#sweep(), 5000);
    options.bus.listen((envelope) => this.#deliver(envelope));
  }

  /**
   * Passes `message` from a local `session` on to another instance when it
   * belongs there; false when it is for this instance's broker or
   * switchboard.
   */
  forwards(session: MeetingSession, message: RendezvousToRegistry): boolean {
    switch (message.type) {
      case "punch_request":
        return this.#open(session, `punch:${message.punch}`, message.to, message);
      case "relay_open":
        return this.#open(session, `circuit:${message.circuit}`, message.to, message);
      case "punch_result": {
        const route = this.#route(session, `punch:${message.punch}`);
        if (!route) return false;
        this.#drop(route);
        this.#pass(route, message);
        return true;
      }
      case "relay_data": {
        const route = this.#route(session, `circuit:${message.circuit}`);
        if (!route) return this.#absorbLate(session, message);
        this.#pass(route, message);
        return true;
      }
      case "relay_close": {
        const route = this.#route(session, `circuit:${message.circuit}`);
        if (!route) return false;
        this.#drop(route);
        this.#pass(route, message);
        return true;
      }
      case "relay_accept":
        // A circuit lives on its target's instance: accepting is always local.
        return false;
    }
  }

  /** A local session ended: its routes go, and their instances are told. */
  sessionEnded(session: MeetingSession): void {
    const routes = this.#bySession.get(session);
    if (!routes) return;
    const told = new Set<string>();
    for (const route of [...routes]) {
      this.#drop(route);
      const key = `${route.instance}/${route.peerId}`;
      if (told.has(key)) continue;
      told.add(key);
      const envelope: MeetingEnvelope = {
        kind: "ended",
        instance: this.#options.bus.instance,
        peer: route.peerId,
      };
      // An instance we cannot reach ends its circuits by their idle timeout.
      this.#options.bus.send(route.instance, envelope).catch(() => {});
    }
  }

  shutdown(): void {
    clearInterval(this.#sweeper);
  }

  #open(
    session: MeetingSession,
    key: string,
    to: string,
    message: RendezvousToRegistry,
  ): boolean {
    const peerId = session.peerId;
    if (peerId === undefined || this.#options.sessionOf(to)) return false;
    const instance = this.#options.instanceOf(to);
    if (instance === undefined || instance === this.#options.bus.instance) return false;
    if (this.#routes.has(key)) return false; // the broker or switchboard refuses it
    let routes = this.#bySession.get(session);
    if ((routes?.size ?? 0) >= MAX_ROUTES_PER_SESSION) {
      this.#refuse(session, key);
      return true;
    }
    if (!routes) this.#bySession.set(session, routes = new Set());
    const route: Route = {
      key,
      session,
      peerId,
      instance,
      at: performance.now(),
      allowance: DEFAULT_ALLOWANCE,
    };
    this.#routes.set(key, route);
    routes.add(route);
    this.#pass(route, message);
    return true;
  }

  /** The route `key`, if `session` owns it. */
  #route(session: MeetingSession, key: string): Route | undefined {
    const route = this.#routes.get(key);
    return route?.session === session ? route : undefined;
  }

  #pass(route: Route, message: RendezvousToRegistry): void {
    const envelope: MeetingEnvelope = {
      kind: "from",
      instance: this.#options.bus.instance,
      peer: route.peerId,
      observed: route.session.observedAddress,
      message,
    };
    this.#options.bus.send(route.instance, envelope).catch((error) => {
      if (this.#routes.get(route.key) !== route) return; // already over
      this.#options.logger.warn("cannot reach another instance for a peer's link", {
        instance: route.instance,
        error: error instanceof Error ? error.message : String(error),
      });
      this.#drop(route);
      this.#refuse(route.session, route.key);
    });
  }

  /** Tells `session` its try or circuit `key` cannot be made. */
  #refuse(session: MeetingSession, key: string): void {
    const [kind, id] = splitKey(key);
    if (kind === "punch") session.send({ type: "punch_failed", punch: id, reason: "offline" });
    else session.send({ type: "relay_close", circuit: id, reason: "offline" });
  }

  #drop(route: Route): void {
    if (this.#routes.get(route.key) !== route) return;
    this.#routes.delete(route.key);
    const routes = this.#bySession.get(route.session);
    routes?.delete(route);
    if (routes?.size === 0) this.#bySession.delete(route.session);
    if (route.key.startsWith("circuit:")) {
      if (this.#closed.size >= MAX_CLOSED_REMEMBERED) {
        this.#closed.delete(this.#closed.keys().next().value!);
      }
      this.#closed.set(route.key, {
        session: route.session,
        at: performance.now(),
        allowance: route.allowance,
      });
    }
  }

  /**
   * Bytes still on the way to a cross-instance circuit that just closed are
   * dropped without charging them (as the switchboard does for its own).
   */
  #absorbLate(session: MeetingSession, message: RelayDataMessage): boolean {
    const closed = this.#closed.get(`circuit:${message.circuit}`);
    if (!closed || closed.session !== session) return false;
    const bytes = relayedBytes(message);
    if (performance.now() - closed.at > CLOSED_GRACE_MS || closed.allowance < bytes) return false;
    closed.allowance -= bytes;
    return true;
  }

  #deliver(envelope: MeetingEnvelope): void {
    switch (envelope.kind) {
      case "from":
        return this.#fromRemote(envelope);
      case "to":
        return this.#toLocal(envelope.peer, envelope.message);
      case "ended": {
        const key = `${envelope.instance}/${envelope.peer}`;
        const remote = this.#remotes.get(key);
        if (!remote) return;
        this.#remotes.delete(key);
        this.#options.ended(remote);
      }
    }
  }

  /** A peer of another instance asks or sends something for a try or circuit here. */
  #fromRemote(envelope: Extract<MeetingEnvelope, { kind: "from" }>): void {
    const key = `${envelope.instance}/${envelope.peer}`;
    let remote = this.#remotes.get(key);
    if (!remote) {
      const made: RemoteSession = new RemoteSession(
        { instance: envelope.instance, peerId: envelope.peer, observed: envelope.observed },
        (message) => {
          const back: MeetingEnvelope = { kind: "to", peer: envelope.peer, message };
          this.#options.bus.send(envelope.instance, back).catch(() => {
            // Its instance is unreachable: what it has here ends, once.
            if (this.#remotes.get(key) !== made) return;
            this.#remotes.delete(key);
            this.#options.ended(made);
          });
        },
      );
      this.#remotes.set(key, remote = made);
    }
    remote.observedAddress = envelope.observed;
    remote.lastHeardAt = performance.now();
    this.#options.dispatch(remote, envelope.message);
  }

  /** Another instance's broker or switchboard has something for a peer of ours. */
  #toLocal(peerId: string, message: RendezvousToPeer): void {
    const session = this.#options.sessionOf(peerId);
    const key = message.type === "punch_failed" || message.type === "punch_now"
      ? `punch:${message.punch}`
      : "circuit" in message
      ? `circuit:${message.circuit}`
      : undefined;
    const found = key === undefined ? undefined : this.#routes.get(key);
    const route = found?.peerId === peerId ? found : undefined;
    // No route: the try or circuit is over here (these are its last bytes on
    // the way), or was never this peer's. Either way the peer has no use for it.
    if (!route) return;
    if (!session) return this.#drop(route);
    if (message.type === "relay_close" || message.type === "punch_failed") {
      this.#drop(route);
    } else if (message.type === "relay_ready") {
      route.allowance = message.window + message.chunk;
    } else if (message.type === "relay_data" && session.backlogBytes > RECEIVER_BACKLOG_BYTES) {
      // No flow control reaches from here to the relaying instance: a reader
      // this far behind loses its circuit rather than the registry's memory.
      this.#drop(route);
      session.send({ type: "relay_close", circuit: message.circuit, reason: "rate_limited" });
      this.#pass(route, { type: "relay_close", circuit: message.circuit, reason: "closed" });
      return;
    }
    session.send(message);
  }

  #sweep(): void {
    const now = performance.now();
    for (const route of [...this.#routes.values()]) {
      if (route.key.startsWith("punch:") && now - route.at > PUNCH_ROUTE_MS) this.#drop(route);
    }
    for (const [key, closed] of this.#closed) {
      if (now - closed.at <= CLOSED_GRACE_MS) break; // oldest first
      this.#closed.delete(key);
    }
    for (const [key, remote] of this.#remotes) {
      if (now - remote.lastHeardAt > REMOTE_IDLE_MS && !this.#options.holds(remote)) {
        this.#remotes.delete(key);
      }
    }
  }
}

function splitKey(key: string): ["punch" | "circuit", string] {
  const colon = key.indexOf(":");
  return [key.slice(0, colon) as "punch" | "circuit", key.slice(colon + 1)];
}
