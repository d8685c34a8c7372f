/**
 * Rooms made and changed from the web window: create a room (a name and the
 * contacts ticked), invite more (its creator only), and leave one. The page
 * script calls the JSON API; without JavaScript the same forms post to the
 * page routes. Both go through the peer's own room commands, so the rules are
 * the terminal's: a name of the name rule, at most 64 members, only the
 * creator invites, leaving is signed by the creator. The app's guard (host,
 * origin, session) runs before all of these.
 */

import type { Context, Hono } from "hono";
import type { Peer, RoomView } from "../peer/mod.ts";
import { MAX_ROOM_MEMBERS } from "../protocol/mod.ts";
import { readJson } from "./read_json.ts";
import { answer, answerPage } from "./peer_answer.ts";
import type { PageRoutesOptions } from "./page_routes.ts";
import { ROOM_CONVERSATION } from "./rooms_view.ts";

/** Options for {@linkcode roomRoutes}: the app's form handling. */
export type RoomRoutesOptions = PageRoutesOptions;

/** Why a request names nobody to invite, as the API and the form say it. */
const NOBODY_PICKED = "Pick at least one person to invite";

/** Adds the room routes to `app`. */
export function roomRoutes(app: Hono, peer: Peer, options: RoomRoutesOptions): void {
  app.post("/api/rooms", async (c) => {
    const body = await readJson<{ name?: unknown; members?: unknown }>(c.req.raw);
    const members = memberList(body?.members ?? []);
    if (typeof body?.name !== "string" || !members) {
      return c.json({ error: 'Send {"name": ROOM_NAME, "members": [PEER_ID, …]}' }, 400);
    }
    const name = body.name;
    return await answer(c, async () => ({ room: await peer.createRoom(name, members) }));
  });

  app.post("/api/rooms/invite", async (c) => {
    const body = await readJson<{ room?: unknown; members?: unknown }>(c.req.raw);
    const members = memberList(body?.members);
    if (typeof body?.room !== "string" || !members) {
      return c.json({ error: 'Send {"room": ROOM_ID, "members": [PEER_ID, …]}' }, 400);
    }
    if (members.length === 0) return c.json({ error: NOBODY_PICKED }, 400);
    const room = body.room;
    return await answer(c, async () => ({ room: await peer.inviteToRoom(room, members) }));
  });

  app.post("/api/rooms/leave", async (c) => {
    const room = (await readJson<{ room?: unknown }>(c.req.raw))?.room;
    if (typeof room !== "string") return c.json({ error: 'Send {"room": ROOM_ID}' }, 400);
    return await answer(c, async () => ({ room: await peer.leaveRoom(room) }));
  });

  /** How a form post changes a room. */
  interface FormChange {
    /** The conversation to show again when the change is refused. */
    back: (form: FormData) => string;
    /** What the notice says first when the peer refuses. */
    refusal: string;
    /** What is wrong with the form before the peer is asked, if anything. */
    problem?: (form: FormData) => string | undefined;
    /** Made once per form: a reload that posts it again changes nothing. */
    once?: boolean;
  }

  /** Runs a form's room change; the page then opens the room (the default one if left). */
  async function fromForm(
    c: Context,
    change: (form: FormData) => Promise<RoomView>,
    how: FormChange,
  ): Promise<Response> {
    const posted = await options.formOf(c);
    if (posted instanceof Response) return posted;
    const { session, form } = posted;
    const back = how.back(form);
    if (how.once && !await options.firstSubmission(session, String(form.get("form") ?? ""))) {
      return await options.page(c, session, { with: back });
    }
    const problem = how.problem?.(form);
    if (problem) {
      return await options.page(c, session, {
        with: back,
        notice: `${how.refusal}: ${problem}`,
        status: 400,
      });
    }
    return await answerPage(
      async () => {
        const room = await change(form);
        return await options.page(c, session, {
          with: room.left ? undefined : ROOM_CONVERSATION + room.id,
        });
      },
      (refusal) => options.page(c, session, { with: back, ...refusal }),
      how.refusal,
    );
  }

  const picked = (form: FormData) =>
    form.getAll("member").map(String).slice(0, MAX_ROOM_MEMBERS + 1);
  const roomOf = (form: FormData) => String(form.get("room") ?? "");
  const inRoom = (form: FormData) => ROOM_CONVERSATION + roomOf(form);

  app.post(
    "/rooms/create",
    (c) =>
      fromForm(c, (form) => peer.createRoom(String(form.get("name") ?? ""), picked(form)), {
        back: (form) => String(form.get("with") ?? ""),
        refusal: "Room not created",
        once: true,
      }),
  );

  app.post(
    "/rooms/invite",
    (c) =>
      fromForm(c, (form) => peer.inviteToRoom(roomOf(form), picked(form)), {
        back: inRoom,
        refusal: "Nobody invited",
        problem: (form) => picked(form).length === 0 ? NOBODY_PICKED : undefined,
      }),
  );

  app.post(
    "/rooms/leave",
    (c) =>
      fromForm(c, (form) => peer.leaveRoom(roomOf(form)), { back: inRoom, refusal: "Not left" }),
  );
}

/** A JSON list of peer names or IDs (at most one more than a room holds), or `undefined`. */
function memberList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_ROOM_MEMBERS + 1) return undefined;
  if (!value.every((member) => typeof member === "string")) return undefined;
  return value;
}
