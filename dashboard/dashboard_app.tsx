/**
 * The dashboard's routes, as a Hono app over a {@linkcode RegistryView}. It
 * only reads registry state, except for kicking, which needs the admin token.
 */

import { type Context, Hono } from "hono";
import { compress } from "hono/compress";
import { renderToString } from "preact-render-to-string";
import type { VNode } from "preact";
import type { RegistryView } from "../registry/mod.ts";
import { ProtocolError } from "../protocol/mod.ts";
import { dashboardClient } from "./assets/dashboard_client.ts";
import * as format from "./assets/format.ts";
import { DASHBOARD_CSS } from "./assets/dashboard_styles.ts";
import { clusterJson, eventJson, historyJson, peerJson, statsJson } from "./api_shapes.ts";
import { liveFeed } from "./live_feed.ts";
import { LiveJournal } from "./live_journal.ts";
import { networkChart } from "./network_chart.ts";
import { NetworkHistory } from "./network_history.ts";
import { renderMetrics } from "./metrics.ts";
import { HomePage, SORT_KEYS, type SortKey } from "./pages/home_page.tsx";
import { NotFoundPage, PeerPage } from "./pages/peer_page.tsx";
import {
  bearerToken,
  FAVICON_SVG,
  presentedSecret,
  SECURITY_HEADERS,
  tokenMatches,
} from "../http/mod.ts";

/** What the app needs to run. */
export interface DashboardAppOptions {
  view: RegistryView;
  /** Bearer token required for kicking. */
  adminToken: string;
  /** Decides whether a request's `Host` header is one we answer. */
  isAllowedHost: (host: string | undefined) => boolean;
  /** Aborted at shutdown to end live streams. */
  signal?: AbortSignal;
  /** Tick of the live feed; default a quarter heartbeat interval (see `liveFeed`). */
  liveTickMs?: number;
  /**
   * Whether reading (pages, API, live stream, metrics) needs a credential:
   * the admin token or {@linkcode readToken}. True when bound beyond loopback.
   */
  readNeedsToken?: boolean;
  /** A token that can read everything but kick nobody (e.g. for Prometheus). */
  readToken?: string;
  /** Most live streams open at once; more get 503. Default {@linkcode DEFAULT_MAX_LIVE_STREAMS}. */
  maxLiveStreams?: number;
  /** Shortest time between two points of the network chart. Default 10 s. */
  chartSampleMs?: number;
}

/** Live streams served at once unless configured (each costs a browser's worth of memory). */
export const DEFAULT_MAX_LIVE_STREAMS = 64;

const ASSETS = /^\/(assets\/|favicon\.)/;
// Open without a credential even beyond loopback: they say nothing about peers.
const PUBLIC_PATHS = /^\/(assets\/|favicon\.|healthz$)/;

// The browser script is this source text: the client function applied to the
// shared formatters, so both sides format ages and times identically.
const CLIENT_JS = `"use strict";
(${dashboardClient.toString()})({
${
  Object.entries(format).map(([name, fn]) => `  ${JSON.stringify(name)}: ${String(fn)},`)
    .join("\n")
}
});
`;

/** Builds the dashboard app. Test it with `app.request()`. */
export function createDashboardApp(options: DashboardAppOptions): Hono {
  const { view } = options;
  const signal = options.signal ?? new AbortController().signal;
  const maxLiveStreams = options.maxLiveStreams ?? DEFAULT_MAX_LIVE_STREAMS;
  const journal = new LiveJournal(view, signal);
  const history = new NetworkHistory(view, { sampleMs: options.chartSampleMs });
  journal.subscribe(function sampleForChart() {
    history.observe();
  });
  const chart = {
    version: () => history.version,
    model: (now = Date.now()) => networkChart(history.samples(now), now, history.spanAt(now)),
  };
  const counters = { liveStreams: 0, liveStreamsRefused: 0 };
  const app = new Hono();

  app.use(async function guard(c, next) {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    if (!options.isAllowedHost(c.req.header("host"))) {
      return c.text("Misdirected request: this dashboard does not answer to that Host.\n", 421);
    }
    // Live data is never worth keeping: a cache would only show it stale.
    if (!ASSETS.test(c.req.path)) c.header("Cache-Control", "no-store");
    if (options.readNeedsToken && !PUBLIC_PATHS.test(c.req.path) && !await mayRead(c)) {
      // Basic makes a browser ask for it (any user name, the token as password).
      c.header("WWW-Authenticate", 'Basic realm="p2pchat registry", charset="UTF-8"');
      return c.json({
        error: "This dashboard is reachable beyond loopback: reading it needs the admin " +
          "or read token (Authorization: Bearer TOKEN, or Basic with the token as password)",
      }, 401);
    }
    await next();
  });
  app.use(compress());

  async function mayRead(c: Context): Promise<boolean> {
    const presented = presentedSecret(c.req.header("authorization"));
    if (presented === undefined) return false;
    const [admin, reader] = await Promise.all([
      tokenMatches(presented, options.adminToken),
      options.readToken === undefined ? false : tokenMatches(presented, options.readToken),
    ]);
    return admin || reader;
  }

  app.get("/", (c) => {
    const sort = (SORT_KEYS as readonly string[]).includes(c.req.query("sort") ?? "")
      ? c.req.query("sort") as SortKey
      : "name";
    const now = Date.now();
    return c.html(page(
      <HomePage
        info={view.info()}
        stats={view.stats()}
        peers={view.peers()}
        events={view.recentEvents(50)}
        chart={chart.model(now)}
        now={now}
        filter={c.req.query("q") ?? ""}
        sort={sort}
        descending={c.req.query("dir") === "desc"}
        cluster={view.cluster?.()}
      />,
    ));
  });

  app.get("/peers/:id", (c) => {
    const id = c.req.param("id");
    const peer = view.peer(id);
    const history = view.peerHistory(id);
    const now = Date.now();
    if (!peer && !history) {
      return c.html(page(<NotFoundPage info={view.info()} id={id} now={now} />), 404);
    }
    const events = view.recentEvents().filter((e) => e.id === id).slice(-50);
    return c.html(page(
      <PeerPage
        info={view.info()}
        id={id}
        peer={peer}
        history={history}
        events={events}
        now={now}
      />,
    ));
  });

  app.get("/assets/dashboard.css", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.body(DASHBOARD_CSS, 200, { "Content-Type": "text/css; charset=utf-8" });
  });
  app.get("/assets/dashboard.js", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.body(CLIENT_JS, 200, { "Content-Type": "text/javascript; charset=utf-8" });
  });

  app.get("/favicon.svg", (c) => {
    c.header("Cache-Control", "public, max-age=86400");
    return c.body(FAVICON_SVG, 200, { "Content-Type": "image/svg+xml" });
  });
  app.get("/favicon.ico", (c) => c.redirect("/favicon.svg", 301));

  app.get("/api/peers", (c) => {
    const now = Date.now();
    return c.json({ peers: view.peers().map((p) => peerJson(p, now)) });
  });

  app.get("/api/peers/:id", (c) => {
    const id = c.req.param("id");
    const peer = view.peer(id);
    const history = view.peerHistory(id);
    if (!peer && !history) return c.json({ error: `No peer with ID ${id} is known` }, 404);
    return c.json({
      peer: peer ? peerJson(peer, Date.now()) : null,
      history: history ? historyJson(history) : null,
    });
  });

  app.get("/api/stats", (c) => c.json(statsJson(view.stats(), view.info(), Date.now())));

  app.get("/api/recent-events", (c) => {
    // Missing or unreadable: 100; otherwise clamped to 1..1000.
    const asked = Math.trunc(Number(c.req.query("limit") ?? NaN));
    const limit = Number.isNaN(asked) ? 100 : Math.min(1000, Math.max(1, asked));
    return c.json({ events: view.recentEvents(limit).map(eventJson) });
  });

  app.get("/api/events", (c) => {
    if (counters.liveStreams >= maxLiveStreams) {
      counters.liveStreamsRefused++;
      c.header("Retry-After", "10");
      return c.json({
        error: `Too many live dashboards: ${maxLiveStreams} streams are open (--max-sse-clients)`,
      }, 503);
    }
    counters.liveStreams++;
    return liveFeed(c, {
      view,
      journal,
      signal,
      tickMs: options.liveTickMs,
      chart,
      onEnd: () => counters.liveStreams--,
    });
  });

  app.get("/api/cluster", (c) => {
    const cluster = view.cluster?.();
    if (!cluster) {
      return c.json(
        { error: "This registry is not part of a cluster (start it with --cluster URL)" },
        404,
      );
    }
    return c.json(clusterJson(cluster, Date.now()));
  });

  app.get(
    "/metrics",
    (c) =>
      c.body(
        renderMetrics(view.stats(), view.info(), {
          cluster: view.cluster?.(),
          dashboard: counters,
        }),
        200,
        {
          "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
        },
      ),
  );

  app.get("/healthz", (c) => {
    const info = view.info();
    const cluster = view.cluster?.();
    const health = {
      status: "ok",
      epoch: info.epoch,
      version: info.version,
      peersOnline: view.stats().peersOnline,
      uptimeMs: Date.now() - info.startedAt,
    };
    if (!cluster) return c.json(health);
    // Peers held here are still served, but no new one can register: a load
    // balancer should send newcomers to an instance that can admit them.
    const up = cluster.engine.status === "up";
    return c.json({
      ...health,
      status: up ? "ok" : "degraded",
      cluster: { instance: cluster.instance, engine: cluster.engine },
    }, up ? 200 : 503);
  });

  app.post("/api/peers/:id/kick", async (c) => {
    const presented = bearerToken(c.req.header("authorization"));
    if (presented === undefined || !await tokenMatches(presented, options.adminToken)) {
      c.header("WWW-Authenticate", 'Bearer realm="p2pchat registry"');
      return c.json(
        { error: "A valid admin token is required (Authorization: Bearer TOKEN)" },
        401,
      );
    }
    const id = c.req.param("id");
    let kicked: boolean;
    try {
      kicked = await view.kick(id);
    } catch (error) {
      if (!(error instanceof ProtocolError) || error.code !== "cluster_unavailable") throw error;
      return c.json({ error: error.message }, 503);
    }
    if (!kicked) return c.json({ error: `No online peer has ID ${id}` }, 404);
    return c.json({ kicked: id });
  });

  app.notFound((c) => c.json({ error: `Nothing at ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    console.error(error);
    return c.json({ error: "Internal error" }, 500);
  });
  return app;
}

function page(vnode: VNode): string {
  return "<!doctype html>" + renderToString(vnode);
}
