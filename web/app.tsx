/**
 * The peer's web UI as a Hono app: the chat page, a small JSON API the page
 * script uses, the live event stream, and the assets. Every route sits
 * behind the launch secret (see session.ts).
 */

import { type Context, Hono } from "hono";
import { getCookie } from "hono/cookie";
import { renderToString } from "preact-render-to-string";
import { type Peer, PeerError, type PeerErrorCode } from "../peer/mod.ts";
import { APP_VERSION, MESSAGE_ID_PATTERN } from "../protocol/mod.ts";
import { chatClient } from "./assets/client.ts";
import { CHAT_CSS } from "./assets/styles.ts";
import { FAVICON_SVG, SECURITY_HEADERS } from "../http/mod.ts";
import { chatState } from "./chat_state.ts";
import { eventFeed } from "./event_feed.ts";
import { type ChatMessageView, ChatPage } from "./pages/chat_page.tsx";
import { roomMessages } from "./room.ts";
import type { WebSession } from "./session.ts";

/** What the app needs. */
export interface ChatAppOptions {
  peer: Peer;
  session: WebSession;
  /** Aborted at shutdown, to end live streams. */
  signal?: AbortSignal;
}

const CLIENT_JS = `"use strict";\n(${chatClient.toString()})();\n`;

// Conversations are private: no cache keeps a copy.
const HEADERS: Record<string, string> = { ...SECURITY_HEADERS, "Cache-Control": "no-store" };

const PAGE_SIZE = 50;

/** Builds the app. Test it with `app.request()`. */
export function createChatApp(options: ChatAppOptions): Hono {
  const { peer, session } = options;
  const signal = options.signal ?? new AbortController().signal;
  const app = new Hono();

  app.use(async function guard(c, next) {
    for (const [name, value] of Object.entries(HEADERS)) c.header(name, value);
    const host = c.req.header("host");
    if (!session.isAllowedHost(host)) {
      return c.text("Misdirected request: this chat does not answer to that Host.\n", 421);
    }
    // Opening the printed URL trades the secret for a cookie, then drops it from the address bar.
    const key = c.req.query("key");
    if (key !== undefined && c.req.method === "GET" && await session.accepts(key)) {
      c.header("Set-Cookie", session.cookie());
      const url = new URL(c.req.url);
      url.searchParams.delete("key");
      return c.redirect(url.pathname + url.search, 303);
    }
    // Assets hold no secrets; the locked page needs its stylesheet too.
    if (c.req.method === "GET" && /^\/(assets\/|favicon)/.test(c.req.path)) return await next();
    if (!await session.accepts(getCookie(c, session.cookieName))) {
      return c.html(page401(), 401);
    }
    if (c.req.method !== "GET" && !session.isOwnOrigin(c.req.header("origin"), host)) {
      return c.json({ error: "Cross-origin requests are refused" }, 403);
    }
    await next();
  });

  app.get("/", async (c) => {
    const state = await chatState(peer);
    const asked = c.req.query("with");
    const selected = asked === "*" || state.contacts.some((x) => x.peer.id === asked)
      ? asked!
      : state.contacts[0]?.peer.id ?? "*";
    const messages: ChatMessageView[] = selected === "*"
      ? await roomMessages(peer, PAGE_SIZE)
      : await peer.conversation(selected, PAGE_SIZE);
    return c.html(
      "<!doctype html>" +
        renderToString(
          <ChatPage state={state} selected={selected} messages={messages} version={APP_VERSION} />,
        ),
    );
  });

  // Without JavaScript the compose box posts here.
  app.post("/send", async (c) => {
    const form = await c.req.formData();
    const to = String(form.get("to") ?? "");
    const text = String(form.get("text") ?? "");
    try {
      if (text.trim()) await (to === "*" ? peer.broadcast(text) : peer.send(to, text));
    } catch (error) {
      if (!(error instanceof PeerError)) throw error;
      return c.text(`Not sent: ${error.message}\n`, ERROR_STATUS[error.code]);
    }
    return c.redirect(`/?with=${encodeURIComponent(to)}`, 303);
  });

  app.get("/api/state", async (c) => c.json(await chatState(peer)));

  app.get("/api/conversation/:id", async (c) => {
    const id = c.req.param("id");
    const limit = Math.min(200, Math.max(1, Number(c.req.query("limit")) || PAGE_SIZE));
    const before = c.req.query("before");
    if (before !== undefined && !MESSAGE_ID_PATTERN.test(before)) {
      return c.json({ error: "before must be a message ID" }, 400);
    }
    if (id === "*") return c.json({ messages: await roomMessages(peer, limit) });
    if (!peer.lastKnown(id)) return c.json({ error: `No peer with ID ${id} is known` }, 404);
    return c.json({ messages: await peer.conversation(id, limit, before) });
  });

  app.post("/api/send", async (c) => {
    const body = await readJson<{ to?: unknown; text?: unknown }>(c.req.raw);
    if (typeof body?.to !== "string" || typeof body.text !== "string") {
      return c.json({ error: 'Send {"to": ID or "*", "text": TEXT}' }, 400);
    }
    const { to, text } = body;
    return await answer(c, async () => ({
      id: to === "*" ? await peer.broadcast(text) : await peer.send(to, text),
    }));
  });

  app.post("/api/read", async (c) => {
    const body = await readJson<{ ids?: unknown }>(c.req.raw);
    const ids = Array.isArray(body?.ids)
      ? body.ids.filter((id) => MESSAGE_ID_PATTERN.test(String(id)))
      : [];
    let read = 0;
    for (const id of ids.slice(0, 500)) {
      try {
        await peer.markRead(String(id));
        read++;
      } catch (error) {
        // The page may hold IDs the store no longer has; the rest still count.
        if (!(error instanceof PeerError) || error.code !== "unknown_message") throw error;
      }
    }
    return c.json({ read });
  });

  app.post("/api/trust", async (c) => {
    const body = await readJson<{ name?: unknown; id?: unknown }>(c.req.raw);
    if (typeof body?.name !== "string" || typeof body.id !== "string") {
      return c.json({ error: 'Send {"name": NAME, "id": the new key\'s ID as shown}' }, 400);
    }
    const { name, id } = body;
    return await answer(c, async () => {
      const { peer: trusted, previousId } = await peer.trust(name, id);
      return { trusted: trusted.name, id: trusted.id, previousId };
    });
  });

  app.post("/api/cancel", async (c) => {
    const body = await readJson<{ id?: unknown }>(c.req.raw);
    if (typeof body?.id !== "string") return c.json({ error: 'Send {"id": MESSAGE_ID}' }, 400);
    const id = body.id;
    return await answer(c, async () => {
      await peer.cancel(id);
      return { cancelled: id };
    });
  });

  app.get("/api/events", (c) => eventFeed(c, peer, signal));

  app.get(
    "/assets/chat.css",
    (c) => c.body(CHAT_CSS, 200, { "Content-Type": "text/css; charset=utf-8" }),
  );
  app.get(
    "/assets/chat.js",
    (c) => c.body(CLIENT_JS, 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );
  app.get("/favicon.svg", (c) => c.body(FAVICON_SVG, 200, { "Content-Type": "image/svg+xml" }));

  app.notFound((c) => c.json({ error: `Nothing at ${c.req.method} ${c.req.path}` }, 404));
  return app;
}

/** The HTTP status for each way a peer refuses a request. */
const ERROR_STATUS: Record<PeerErrorCode, 400 | 404 | 409 | 500> = {
  unknown_peer: 404,
  self: 400,
  not_online: 409,
  id_too_short: 400,
  key_mismatch: 409,
  nobody_online: 400,
  text_empty: 400,
  text_too_long: 400,
  unknown_message: 404,
  not_pending: 404,
  store_failed: 500,
};

/** Runs a peer request: its answer as JSON, or its refusal as `{error, code}` with a status. */
async function answer(c: Context, request: () => Promise<object>): Promise<Response> {
  try {
    return c.json(await request());
  } catch (error) {
    if (!(error instanceof PeerError)) throw error;
    return c.json({ error: error.message, code: error.code }, ERROR_STATUS[error.code]);
  }
}

async function readJson<T>(request: Request): Promise<T | undefined> {
  if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) return undefined;
  try {
    return await request.json() as T;
  } catch {
    return undefined;
  }
}

function page401(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>p2pchat</title>
<link rel="stylesheet" href="/assets/chat.css"></head><body class="locked"><main class="locked">
<h1>This chat is locked</h1><p>Open the address your peer printed when it started
(it ends with <code>?key=…</code>). Only that link unlocks this window.</p></main></body></html>`;
}
