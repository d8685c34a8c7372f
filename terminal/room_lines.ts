/** How rooms read on the terminal: a room's members, the list of rooms, a room's history heading. */

import type { RoomSummary, RoomView } from "../peer/mod.ts";

/** `#team (version 2, by alice): alice, bob, carol`, or that this peer left it. */
export function roomLine(room: RoomView): string {
  if (room.left) return `* you are not in #${room.name} (any more)`;
  const members = room.members.map((m) => m.name).join(", ");
  return `* #${room.name} (version ${room.version}, by ${room.creator.name}): ${members}`;
}

/** Every room, with unread counts: what /rooms shows. */
export function roomList(rooms: RoomSummary[]): string {
  const current = rooms.filter((r) => !r.left);
  if (current.length === 0) return "* no rooms yet: /room create NAME [MEMBER…]";
  return [
    `* ${current.length} room${current.length === 1 ? "" : "s"}:`,
    ...current.map((r) =>
      `  #${r.name.padEnd(20)} ${String(r.members.length).padStart(2)} members` +
      (r.unread > 0 ? `  ${r.unread} unread` : "")
    ),
  ].join("\n");
}
