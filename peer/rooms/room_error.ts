/** Why a room operation was refused; the engine passes it on as a `PeerError` of the same code. */

/** What went wrong with a room request. */
export type RoomErrorCode =
  /** No room has that name, ID or ID prefix. */
  | "unknown_room"
  /** A name several rooms share. */
  | "ambiguous_room"
  /** Only the room's creator may change who is in it. */
  | "not_creator"
  /** This peer is not (or no longer) in the room. */
  | "not_member"
  /** A room name that breaks the name rule. */
  | "bad_room_name"
  /** More members than a room may have. */
  | "room_full"
  /** Nobody else is in the room to post to. */
  | "room_empty";

/** A refused room request, with a message fit to show a person. */
export class RoomError extends Error {
  readonly code: RoomErrorCode;

  constructor(code: RoomErrorCode, message: string) {
    super(message);
    this.name = this.constructor.name;
    this.code = code;
  }
}
