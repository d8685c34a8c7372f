/**
 * How the web UI answers a peer request: the JSON API with its result, or
 * its refusal with a status; a page form with the page it leads to, or the
 * page again with the refusal as its notice.
 */

import type { Context } from "hono";
import { PeerError, type PeerErrorCode } from "../peer/mod.ts";

/** The HTTP status for each way a peer refuses a request. */
export const ERROR_STATUS: Record<PeerErrorCode, 400 | 404 | 409 | 500> = {
  unknown_peer: 404,
  self: 400,
  not_online: 409,
  id_too_short: 400,
  key_mismatch: 409,
  nobody_online: 400,
  text_empty: 400,
  text_too_long: 400,
  unknown_message: 404,
  already_read: 409,
  not_pending: 404,
  ambiguous_id: 400,
  store_failed: 500,
  unknown_transfer: 404,
  not_offered: 409,
  file_unreadable: 400,
  file_too_large: 400,
  no_space: 409,
  unknown_room: 404,
  ambiguous_room: 400,
  not_creator: 409,
  not_member: 409,
  bad_room_name: 400,
  room_full: 409,
  room_empty: 409,
};

/** Runs a peer request: its answer as JSON, or its refusal as `{error, code}` with a status. */
export async function answer(c: Context, request: () => Promise<object>): Promise<Response> {
  try {
    return c.json(await request());
  } catch (error) {
    if (!(error instanceof PeerError)) throw error;
    return c.json({ error: error.message, code: error.code }, ERROR_STATUS[error.code]);
  }
}

/** What a page shows when the peer refuses a form's request. */
export interface PageRefusal {
  notice: string;
  status: (typeof ERROR_STATUS)[PeerErrorCode];
}

/**
 * Runs a page form's peer request: the page it leads to, or — when the peer
 * refuses — `refused` with the notice (after `prefix: ` when given) and status.
 */
export async function answerPage(
  request: () => Promise<Response>,
  refused: (refusal: PageRefusal) => Promise<Response>,
  prefix?: string,
): Promise<Response> {
  try {
    return await request();
  } catch (error) {
    if (!(error instanceof PeerError)) throw error;
    const notice = prefix ? `${prefix}: ${error.message}` : error.message;
    return await refused({ notice, status: ERROR_STATUS[error.code] });
  }
}
