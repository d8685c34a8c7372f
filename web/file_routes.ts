/**
 * The web window's file transfers: the page script's API (list, upload an
 * attachment to offer it, accept, decline) and, without JavaScript, the
 * Accept and Decline buttons as form posts. The app's guard (host, origin,
 * session) runs before all of these.
 */

import type { Hono } from "hono";
import type { Peer } from "../peer/mod.ts";
import { readJson } from "./read_json.ts";
import { answer, answerPage } from "./peer_answer.ts";
import type { PageRoutesOptions } from "./page_routes.ts";

/** Options for {@linkcode fileRoutes}: the app's form handling. */
export type FileRoutesOptions = PageRoutesOptions;

/** Adds the file routes to `app`. */
export function fileRoutes(app: Hono, peer: Peer, options: FileRoutesOptions): void {
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
      return await answerPage(
        async () => {
          await (action === "accept" ? peer.acceptFile(id) : peer.declineFile(id));
          return await options.page(c, posted.session, { with: back });
        },
        (refusal) => options.page(c, posted.session, { with: back, ...refusal }),
      );
    });
  }
}
