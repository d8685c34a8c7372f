/**
 * Shared set-up for the dashboard tests: the Hono app over a real in-process
 * registry (peers register over real TCP with {@linkcode RawPeer}), plus
 * readers for what the dashboard serves: Prometheus text, server-sent events
 * and the rows of the server-rendered peers table.
 */

import assert from "node:assert/strict";
import type { Hono } from "hono";
import { Notifier } from "../../async/mod.ts";
import { createDashboardApp, type DashboardAppOptions, hostChecker } from "../../dashboard/mod.ts";
import {
  Registry,
  type RegistryChange,
  type RegistryOptions,
  type RegistryView,
} from "../../registry/mod.ts";
import { addressOf, registeredPeer } from "../registry/registry_fixture.ts";
import { RawPeer } from "../../sim/mod.ts";

export { addressOf, registeredPeer };

/** The admin token every test dashboard requires for kicking. */
export const ADMIN_TOKEN = "a-test-token-of-32-characters-xx";
/** The `Host` the test dashboard believes it is bound to. */
export const DASHBOARD_HOST = "127.0.0.1:7080";
/** Heartbeat interval of the test registries unless a test says otherwise. */
export const HEARTBEAT_MS = 100;
/** Missed heartbeats before eviction in the test registries. */
export const EVICT_AFTER = 3;
/** Tick of the live feed in tests. */
export const LIVE_TICK_MS = 50;

/** Options for {@linkcode startDashboard}. */
export interface TestDashboardOptions {
  /** Overrides for the registry (heartbeat and eviction settings). */
  registry?: RegistryOptions;
  /** Lets a test put a spy between the app and the registry. */
  wrapView?: (registry: Registry) => RegistryView;
  /** Options for the app beyond the fixture's (read tokens, stream cap). */
  app?: Partial<DashboardAppOptions>;
}

/** A registry with the dashboard app in front of it. */
export interface TestDashboard extends AsyncDisposable {
  readonly registry: Registry;
  readonly app: Hono;
  /** Sends a request with the allowed `Host`, unless `init.headers` sets its own. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** GETs `path`, expects `status` and a JSON body, and returns the body. */
  json<T = Record<string, unknown>>(path: string, status?: number): Promise<T>;
  /** GETs `path`, expects `status` and an HTML page, and returns it. */
  html(path: string, status?: number): Promise<string>;
  /** Ends live streams, as the dashboard does at shutdown. */
  endStreams(): void;
}

/**
 * A registry on `127.0.0.1:0` (heartbeat 100 ms, eviction after 3) and the
 * dashboard app over it. Disposing it ends live streams and shuts the
 * registry down.
 */
export async function startDashboard(options: TestDashboardOptions = {}): Promise<TestDashboard> {
  const registry = await Registry.start({
    listen: { hostname: "127.0.0.1", port: 0 },
    heartbeatMs: HEARTBEAT_MS,
    evictAfter: EVICT_AFTER,
    ...options.registry,
  });
  const streams = new AbortController();
  const app = createDashboardApp({
    view: options.wrapView?.(registry) ?? registry,
    adminToken: ADMIN_TOKEN,
    isAllowedHost: hostChecker("127.0.0.1", 7080),
    liveTickMs: LIVE_TICK_MS,
    signal: streams.signal,
    ...options.app,
  });

  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has("host")) headers.set("host", DASHBOARD_HOST);
    return await app.request(path, { ...init, headers });
  }

  return {
    registry,
    app,
    request,
    async json<T>(path: string, status = 200): Promise<T> {
      const res = await request(path);
      const body = await res.text();
      assert.equal(res.status, status, `GET ${path}: ${body}`);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/, `GET ${path}`);
      return JSON.parse(body) as T;
    },
    async html(path: string, status = 200): Promise<string> {
      const res = await request(path);
      const body = await res.text();
      assert.equal(res.status, status, `GET ${path}: ${body.slice(0, 300)}`);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/, `GET ${path}`);
      return body;
    },
    endStreams() {
      streams.abort();
    },
    async [Symbol.asyncDispose]() {
      streams.abort();
      await registry.shutdown();
    },
  };
}

/**
 * `registry` seen through a view that keeps its current subscribers in
 * `listeners`, so a test can count them and feed them changes of its own.
 */
export function spiedView(
  registry: Registry,
  listeners: Set<(change: RegistryChange) => void>,
): RegistryView {
  return {
    info: () => registry.info(),
    stats: () => registry.stats(),
    peers: () => registry.peers(),
    peer: (id) => registry.peer(id),
    peerHistory: (id) => registry.peerHistory(id),
    recentEvents: (limit) => registry.recentEvents(limit),
    kick: (id) => registry.kick(id),
    subscribe(listener) {
      const unsubscribe = registry.subscribe(listener);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        unsubscribe();
      };
    },
  };
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 10 ms until it returns a value other than `undefined` or `false`. */
export async function waitUntil<T>(
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(10);
  }
}

// ---- a known history ---------------------------------------------------------

/** What {@linkcode playScenario} left behind. */
export interface Scenario extends AsyncDisposable {
  /** Online, heartbeating, reported no reconnects. */
  alice: RawPeer;
  /** Online, heartbeating, reported 2 reconnects. */
  bob: RawPeer;
  /** Said bye. */
  carolId: string;
  /** Went silent and was evicted. */
  daveId: string;
  /** Heartbeats alice and bob sent, all acknowledged. */
  heartbeats: number;
}

/**
 * Plays a history whose every counter is known: one connection that sends
 * garbage, four registrations (bob reports 2 reconnects), carol says bye,
 * dave falls silent and is evicted while alice and bob keep heartbeating.
 * Returns once every connection that ended is gone from the registry.
 */
export async function playScenario(registry: Registry): Promise<Scenario> {
  await using stack = new AsyncDisposableStack();
  const garbage = stack.use(await RawPeer.connect(addressOf(registry), { label: "garbage" }));
  await garbage.sendRaw(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: registry\r\n\r\n"));
  await garbage.waitClosed();

  const alice = stack.use(await registeredPeer(registry, "alice", { listenPort: 4001 }));
  const bob = stack.use(
    await registeredPeer(registry, "bob", { listenPort: 4002, reconnects: 2 }),
  );
  const carol = stack.use(await registeredPeer(registry, "carol", { listenPort: 4003 }));
  const dave = stack.use(await registeredPeer(registry, "dave", { listenPort: 4004 }));

  await carol.send({ type: "bye" });
  await carol.waitClosed();

  let heartbeats = 0;
  let daveGone = false;
  const eviction = alice.waitForPeers((peers) => !peers.has(dave.identity.id))
    .finally(() => daveGone = true);
  while (!daveGone) {
    await Promise.all([alice.heartbeat(), bob.heartbeat()]);
    heartbeats += 2;
    await delay(HEARTBEAT_MS / 4);
  }
  await eviction;
  await dave.waitClosed();
  await waitUntil(() => registry.stats().connectionsOpen === 2, "ended connections to be dropped");

  const owned = stack.move();
  return {
    alice,
    bob,
    carolId: carol.identity.id,
    daveId: dave.identity.id,
    heartbeats,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}

// ---- Prometheus text -----------------------------------------------------------

/** One sample line of a metric. */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its HELP and TYPE lines and its samples. */
export interface MetricFamily {
  help: string;
  type: string;
  samples: MetricSample[];
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

/**
 * Parses the Prometheus text format (0.0.4), one line at a time. Throws on a
 * line it does not understand, on a sample before its family's HELP and TYPE,
 * and on a family described twice.
 */
export function parseMetrics(text: string): Map<string, MetricFamily> {
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  const families = new Map<string, MetricFamily>();
  const lines = text.slice(0, -1).split("\n");
  for (const [index, line] of lines.entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const [, keyword, name, rest] = comment;
      let family = families.get(name);
      if (!family) {
        family = { help: "", type: "", samples: [] };
        families.set(name, family);
      }
      if (keyword === "HELP") {
        assert.equal(family.help, "", `second HELP, ${where}`);
        family.help = rest;
      } else {
        assert.equal(family.type, "", `second TYPE, ${where}`);
        assert.match(rest, /^(counter|gauge|histogram|summary|untyped)$/, where);
        family.type = rest;
      }
      continue;
    }
    const sample = SAMPLE_LINE.exec(line);
    if (!sample) throw new Error(`Not a Prometheus sample or comment, ${where}`);
    const [, name, labelText, valueText] = sample;
    const family = families.get(name);
    assert.ok(family && family.help && family.type, `sample before its HELP and TYPE, ${where}`);
    const value = Number(valueText);
    assert.ok(!Number.isNaN(value), `value is not a number, ${where}`);
    family.samples.push({ labels: parseLabels(labelText ?? "", where), value });
  }
  return families;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex;
    const match = LABEL.exec(text);
    if (!match) throw new Error(`Bad label set at offset ${start}, ${where}`);
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c) => c === "n" ? "\n" : c);
  }
  return labels;
}

/** The value of the one sample of `name` whose labels are exactly `labels`. */
export function metricValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = families.get(name);
  assert.ok(family, `metric ${name} is exposed`);
  const matches = family.samples.filter((s) =>
    Object.keys(s.labels).length === Object.keys(labels).length &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  assert.equal(matches.length, 1, `one sample of ${name}${JSON.stringify(labels)}`);
  return matches[0].value;
}

// ---- server-sent events ---------------------------------------------------------

/** One server-sent event with its JSON data parsed. */
export interface SseEvent {
  event: string;
  /** The `id:` field, if the event had one. */
  id?: string;
  // deno-lint-ignore no-explicit-any
  data: any;
}

/**
 * Reads a `text/event-stream` body in the background and hands out events by
 * type, like {@linkcode RawPeer.next}. Disposing it cancels the body.
 */
export class SseReader implements AsyncDisposable {
  /** Every event received, in order. */
  readonly events: SseEvent[] = [];
  /** Resolves when the stream has ended, whoever ended it. */
  readonly ended: Promise<void>;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #inbox: SseEvent[] = [];
  #done = false;
  readonly #changes = new Notifier();

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
    this.ended = this.#pump();
  }

  /** True once the stream has ended. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Takes the oldest untaken event of type `event` that satisfies `where`,
   * waiting up to `timeoutMs`. Rejects if the stream ends first.
   */
  async next(
    event: string,
    where: (e: SseEvent) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<SseEvent> {
    const recent = () => {
      const seen = this.events.map((e) => `${e.event} ${JSON.stringify(e.data).slice(0, 160)}`);
      return `\n--- last events:\n${seen.slice(-8).join("\n")}`;
    };
    const found = await this.#changes.until(() => {
      const index = this.#inbox.findIndex((e) => e.event === event && where(e));
      if (index >= 0) return this.#inbox.splice(index, 1)[0];
      if (this.#done) throw new Error(`stream ended before an "${event}" event${recent()}`);
    }, timeoutMs);
    if (found === undefined) {
      throw new Error(`no matching "${event}" event within ${timeoutMs} ms${recent()}`);
    }
    return found;
  }

  /** Events received but not taken by {@linkcode next}, of `event` if given. */
  pending(event?: string): SseEvent[] {
    return this.#inbox.filter((e) => event === undefined || e.event === event);
  }

  /** Waits up to `timeoutMs` for the stream to end. */
  async waitEnded(timeoutMs = 5000): Promise<void> {
    if (await this.#changes.until(() => this.#done || undefined, timeoutMs) === undefined) {
      throw new Error(`the event stream was still open after ${timeoutMs} ms`);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#reader.cancel();
    await this.ended;
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      while (true) {
        const { done, value } = await this.#reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseEventBlock(block);
          this.events.push(event);
          this.#inbox.push(event);
        }
        this.#changes.notify();
      }
    } finally {
      this.#done = true;
      this.#changes.notify();
    }
  }
}

function parseEventBlock(block: string): SseEvent {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
    else if (field !== "" && field !== "retry") {
      throw new Error(`Unknown SSE field ${JSON.stringify(field)} in ${JSON.stringify(block)}`);
    }
  }
  return { event, id, data: JSON.parse(data.join("\n")) };
}

// ---- the server-rendered peers table --------------------------------------------

/** A row of the home page's peers table, as text. */
export interface RenderedPeerRow {
  id: string;
  name: string;
  /** `ok`, `late` or `critical`. */
  state: string;
  /** Text of each cell by its class: `name`, `id`, `address`, `age`, `reconnects`, ... */
  cells: Record<string, string>;
}

/** The rows of `<tbody id="peers">`, in page order. */
export function peerRows(html: string): RenderedPeerRow[] {
  const tbody = /<tbody id="peers">([\s\S]*?)<\/tbody>/.exec(html);
  assert.ok(tbody, "the page has a peers table body");
  // Attribute values may hold a raw ">": only quotes, "&" and "<" are escaped there.
  const row = /<tr((?:\s+[\w-]+(?:="[^"]*")?)*)>([\s\S]*?)<\/tr>/g;
  return [...tbody[1].matchAll(row)].map(([, attributes, inner]) => {
    const attrs = Object.fromEntries(
      [...attributes.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, k, v]) => [k, decodeEntities(v)]),
    );
    const cells = Object.fromEntries(
      [...inner.matchAll(/<td class="([\w-]+)">([\s\S]*?)<\/td>/g)].map(([, k, v]) => [
        k,
        decodeEntities(v.replace(/<[^>]*>/g, "")).trim(),
      ]),
    );
    return { id: attrs["data-id"], name: attrs["data-name"], state: attrs["data-state"], cells };
  });
}

/** The totals cards of the home page, by their `data-stat`. */
export function totals(html: string): Record<string, number> {
  return Object.fromEntries(
    [...html.matchAll(/data-stat="([^"]+)">([^<]*)</g)].map(([, k, v]) => [k, Number(v)]),
  );
}

function decodeEntities(text: string): string {
  return text.replace(
    /&(lt|gt|quot|#39|apos|amp);/g,
    (_, e) => ({ lt: "<", gt: ">", quot: '"', "#39": "'", apos: "'", amp: "&" })[e as string]!,
  );
}
