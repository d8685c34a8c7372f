/**
 * The web window's file transfers: the page script's API (list, upload an
 * attachment to offer it, accept, decline) and, without JavaScript, the
 * Accept and Decline buttons as form posts. The app's guard (host, origin,
 * session) runs before all of these.
 */

import type { Context, Hono } from "hono";
import { type Peer, PeerError, type PeerErrorCode } from "../peer/mod.ts";
import { readJson } from "./read_json.ts";

/** Options for {@linkcode fileRoutes}. */
export interface FileRoutesOptions {
  /** HTTP status of each refusal (the app's table). */
  status: Record<PeerErrorCode, 400 | 404 | 409 | 500>;
  /** The form fields of a page post once its session is checked, or the response refusing it. */
  formOf(c: Context): Promise<{ session: string; form: FormData } | Response>;
  /** The chat page again, on conversation `with`, with an optional notice. */
  page(
    c: Context,
    session: string,
    view: { with?: string; notice?: string; status?: 200 | 400 | 404 | 409 | 500 },
  ): Promise<Response>;
}

/** Adds the file routes to `app`. */
export function fileRoutes(app: Hono, peer: Peer, options: FileRoutesOptions): void {
  async function answer(c: Context, request: () => Promise<object>): Promise<Response> {
    try {
      return c.json(await request());
    } catch (error) {
      if (!(error instanceof PeerError)) throw error;
      return c.json({ error: error.message, code: error.code }, options.status[error.code]);
    }
  }

  app.get("/api/files", (c) => c.json({ transfers: peer.files() }));

  // The attachment's bytes are the body; whom it goes to and its name are in the query.
  app.post("/api/files", async (c) => {
    const to = c.req.query("to");
    const name = c.req.query("name");
    const body = c.req.raw.body;
    if (!to || to === "*" || !name || !body) {
      return c.json({
        error: "Send the file as the body of POST /api/files?to=PEER_ID&name=NAME " +
          "(files go to one person, not to everyone)",
      }, 400);
    }
    return await answer(c, async () => await peer.sendFileBytes(to, name, body));
  });

  app.post("/api/files/accept", async (c) => {
    const id = (await readJson<{ id?: unknown }>(c.req.raw))?.id;
    if (typeof id !== "string") return c.json({ error: 'Send {"id": TRANSFER_ID}' }, 400);
    return await answer(c, async () => ({ transfer: await peer.acceptFile(id) }));
  });

  app.post("/api/files/decline", async (c) => {
    const id = (await readJson<{ id?: unknown }>(c.req.raw))?.id;
    if (typeof id !== "string") return c.json({ error: 'Send {"id": TRANSFER_ID}' }, 400);
    return await answer(c, async () => ({ transfer: await peer.declineFile(id) }));
  });

  // Without JavaScript, an offer's Accept and Decline buttons post here.
  for (const action of ["accept", "decline"] as const) {
    app.post(`/files/${action}`, async (c) => {
      const posted = await options.formOf(c);
      if (posted instanceof Response) return posted;
      const id = String(posted.form.get("id") ?? "");
      const back = String(posted.form.get("with") ?? "");
      try {
        await (action === "accept" ? peer.acceptFile(id) : peer.declineFile(id));
      } catch (error) {
        if (!(error instanceof PeerError)) throw error;
        return await options.page(c, posted.session, {
          with: back,
          notice: error.message,
          status: options.status[error.code],
        });
      }
      return await options.page(c, posted.session, { with: back });
    });
  }
}
