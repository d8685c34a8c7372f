/**
 * Rooms: named group conversations beyond "Everyone". A room's membership
 * is a list with a version, signed by the room's creator; the
 * {@linkcode RoomBook} keeps each room and judges what arrives (newer, the
 * same, replayed, forged), {@linkcode Rooms} creates, invites, leaves, posts
 * (one stored message per member, delivered by `delivery/`) and admits room
 * messages, and the membership sync gets each version to the members.
 *
 * @module
 */

export { type Admission, type AdmittedRoom, Rooms, type RoomsOptions } from "./rooms.ts";
export { MIN_ROOM_ID_PREFIX, RoomBook, type RoomLocal, type RoomRecord } from "./room_book.ts";
export { RoomError, type RoomErrorCode } from "./room_error.ts";
export type { RoomEvent, RoomHistoryEntry, RoomSummary, RoomView } from "./room_events.ts";
