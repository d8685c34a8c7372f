/**
 * The peer's web UI as a Hono app: the chat page (opened with the launch
 * secret, then driven by form posts that carry the tab's session token), a
 * small JSON API and the live event stream for the page script (session token
 * as a bearer token), and the assets. The rules are in access.ts.
 */

import { type Context, Hono } from "hono";
import { compress } from "hono/compress";
import { renderToString } from "preact-render-to-string";
import type { VNode } from "preact";
import { type Peer, PeerError } from "../peer/mod.ts";
import { APP_VERSION, MESSAGE_ID_PATTERN } from "../protocol/mod.ts";
import { chatClient } from "./assets/chat_client.ts";
import { readEventStream } from "./assets/event_stream.ts";
import { unlockClient } from "./assets/unlock.ts";
import { CHAT_CSS } from "./assets/chat_styles.ts";
import { bearerToken, FAVICON_SVG, newToken, SECURITY_HEADERS } from "../http/mod.ts";
import type { WebAccess } from "./access.ts";
import { chatState } from "./chat_state.ts";
import { eventFeed } from "./event_feed.ts";
import { type ChatMessageView, ChatPage } from "./pages/chat_page.tsx";
import { LockedPage, type LockedReason } from "./pages/locked_page.tsx";
import { roomMessages } from "./room.ts";
import { fileRoutes } from "./file_routes.ts";
import { readJson } from "./read_json.ts";
import { answer, answerPage } from "./peer_answer.ts";
import { filesClient } from "./assets/files_client.ts";
import { FILES_CSS } from "./assets/files_styles.ts";
import { roomsClient } from "./assets/rooms_client.ts";
import { ROOMS_CSS } from "./assets/rooms_styles.ts";
import { roomRoutes } from "./room_routes.ts";
import { ROOM_CONVERSATION, roomConversation, roomIdOf, sendTo } from "./rooms_view.ts";

/** What the app needs. */
export interface ChatAppOptions {
  peer: Peer;
  access: WebAccess;
  /** Aborted at shutdown, to end live streams. */
  signal?: AbortSignal;
}

const CLIENT_JS =
  `"use strict";\n(${chatClient.toString()})({ readEventStream: ${readEventStream.toString()} });\n`;
const FILES_JS =
  `"use strict";\n(${filesClient.toString()})({ readEventStream: ${readEventStream.toString()} });\n`;
const ROOMS_JS = `"use strict";\n(${roomsClient.toString()})();\n`;
const UNLOCK_JS = `"use strict";\n(${unlockClient.toString()})();\n`;
const CSS = "text/css; charset=utf-8";
const JS = "text/javascript; charset=utf-8";
/** The page's stylesheets and scripts: path, body, content type. */
const ASSETS: readonly [string, string, string][] = [
  ["/assets/chat.css", CHAT_CSS, CSS],
  ["/assets/chat.js", CLIENT_JS, JS],
  ["/assets/files.css", FILES_CSS, CSS],
  ["/assets/files.js", FILES_JS, JS],
  ["/assets/rooms.css", ROOMS_CSS, CSS],
  ["/assets/rooms.js", ROOMS_JS, JS],
  ["/assets/unlock.js", UNLOCK_JS, JS],
];

const HEADERS: Record<string, string> = {
  ...SECURITY_HEADERS,
  // Conversations are private: no cache keeps a copy.
  "Cache-Control": "no-store",
  // Not "no-referrer": under it Chromium sends `Origin: null` with form posts,
  // and the no-JavaScript forms need their real origin to pass the check.
  // Other origins still get no referrer.
  "Referrer-Policy": "same-origin",
};

const PAGE_SIZE = 50;

/** Builds the app. Test it with `app.request()`. */
export function createChatApp(options: ChatAppOptions): Hono {
  const { peer, access } = options;
  const signal = options.signal ?? new AbortController().signal;
  const app = new Hono();

  app.use(async function guard(c, next) {
    for (const [name, value] of Object.entries(HEADERS)) c.header(name, value);
    const host = c.req.header("host");
    if (!access.isAllowedHost(host)) {
      return c.text("Misdirected request: this chat does not answer to that Host.\n", 421);
    }
    if (c.req.method !== "GET" && !access.isOwnOrigin(c.req.header("origin"), host)) {
      return c.json({ error: "Cross-origin requests are refused" }, 403);
    }
    await next();
  });
  app.use(compress());

  // The script's API: the session token comes as a bearer token, never by itself.
  app.use("/api/*", async function session(c, next) {
    if (!await access.admits(bearerToken(c.req.header("authorization")))) {
      return c.json({
        error: "This window's session is not valid: open the address your peer printed",
        code: "session_ended",
      }, 401);
    }
    await next();
  });

  /** The chat page for a session, or the locked page. */
  async function chatPage(
    c: Context,
    session: string,
    view: { with?: string; notice?: string; status?: 200 | 400 | 404 | 409 | 500 },
  ): Promise<Response> {
    const state = await chatState(peer);
    const asked = view.with;
    const selected = asked === "*" || state.contacts.some((x) => x.peer.id === asked) ||
        state.rooms.some((room) => ROOM_CONVERSATION + room.id === asked)
      ? asked!
      : state.recent;
    const roomId = roomIdOf(selected);
    const messages: ChatMessageView[] = selected === "*"
      ? await roomMessages(peer, PAGE_SIZE)
      : roomId !== undefined
      ? await roomConversation(peer, roomId, PAGE_SIZE)
      : await peer.conversation(selected, PAGE_SIZE);
    return c.html(
      page(
        <ChatPage
          state={state}
          selected={selected}
          messages={messages}
          transfers={peer.files()}
          version={APP_VERSION}
          session={session}
          formNonce={newToken()}
          notice={view.notice}
          chatting={Boolean(asked)}
        />,
      ),
      view.status ?? 200,
    );
  }

  function locked(c: Context, reason: LockedReason): Response {
    return c.html(page(<LockedPage reason={reason} version={APP_VERSION} />), 401);
  }

  /** The form fields of a page post, once its session token is checked. */
  async function formOf(c: Context): Promise<{ session: string; form: FormData } | Response> {
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      return c.text("Send the form as application/x-www-form-urlencoded\n", 400);
    }
    const session = String(form.get("session") ?? "");
    if (!await access.admits(session)) return locked(c, "expired");
    return { session, form };
  }

  // The printed address: its launch secret opens one window, once.
  app.get("/", async (c) => {
    const launch = c.req.query("launch");
    if (launch === undefined) return locked(c, "locked");
    const session = await access.open(launch);
    if (!session) return locked(c, "used");
    return await chatPage(c, session, { with: c.req.query("with") });
  });

  // Without JavaScript, picking a conversation posts here (and so does a reload).
  app.post("/", async (c) => {
    const posted = await formOf(c);
    if (posted instanceof Response) return posted;
    return await chatPage(c, posted.session, { with: String(posted.form.get("with") ?? "") });
  });

  // Without JavaScript the compose box posts here.
  app.post("/send", async (c) => {
    const posted = await formOf(c);
    if (posted instanceof Response) return posted;
    const { session, form } = posted;
    const to = String(form.get("to") ?? "");
    const text = String(form.get("text") ?? "");
    // A reload re-posts the same form: show the page, do not send it again.
    if (!await access.firstSubmission(session, String(form.get("form") ?? ""))) {
      return await chatPage(c, session, { with: to });
    }
    return await answerPage(
      async () => {
        await sendTo(peer, to, text);
        return await chatPage(c, session, { with: to });
      },
      (refusal) => chatPage(c, session, { with: to, ...refusal }),
      "Not sent",
    );
  });

  // Without JavaScript the Trust button posts here.
  app.post("/trust", async (c) => {
    const posted = await formOf(c);
    if (posted instanceof Response) return posted;
    const name = String(posted.form.get("name") ?? "");
    const id = String(posted.form.get("id") ?? "");
    try {
      const { peer: trusted } = await peer.trust(name, id);
      return await chatPage(c, posted.session, { with: trusted.id });
    } catch (error) {
      if (!(error instanceof PeerError)) throw error;
      return await chatPage(c, posted.session, { notice: error.message, status: 409 });
    }
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
    const roomId = roomIdOf(id);
    if (roomId !== undefined) {
      return await answer(c, async () => ({
        messages: await roomConversation(peer, roomId, limit, before),
      }));
    }
    if (!peer.lastKnown(id)) return c.json({ error: `No peer with ID ${id} is known` }, 404);
    return c.json({ messages: await peer.conversation(id, limit, before) });
  });

  app.post("/api/send", async (c) => {
    const body = await readJson<{ to?: unknown; text?: unknown }>(c.req.raw);
    if (typeof body?.to !== "string" || typeof body.text !== "string") {
      return c.json({ error: 'Send {"to": ID, "*" or "room:ROOM_ID", "text": TEXT}' }, 400);
    }
    const { to, text } = body;
    return await answer(c, async () => ({ id: await sendTo(peer, to, text) }));
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
        if (!(error instanceof PeerError)) throw error;
        if (error.code !== "unknown_message" && error.code !== "already_read") throw error;
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
      return { cancelled: (await peer.cancel(id)).id };
    });
  });

  app.get("/api/events", (c) => eventFeed(c, peer, signal));
  const forms = {
    formOf,
    page: chatPage,
    firstSubmission: (session: string, nonce: string) => access.firstSubmission(session, nonce),
  };
  fileRoutes(app, peer, forms);
  roomRoutes(app, peer, forms);

  for (const [path, body, type] of ASSETS) {
    app.get(path, (c) => c.body(body, 200, { "Content-Type": type }));
  }
  app.get("/favicon.svg", (c) => c.body(FAVICON_SVG, 200, { "Content-Type": "image/svg+xml" }));
  app.get("/favicon.ico", (c) => c.redirect("/favicon.svg", 301));

  app.notFound((c) => c.json({ error: `Nothing at ${c.req.method} ${c.req.path}` }, 404));
  return app;
}

function page(vnode: VNode): string {
  return "<!doctype html>" + renderToString(vnode);
}
