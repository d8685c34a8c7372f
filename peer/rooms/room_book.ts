/**
 * The rooms this peer knows, each as the newest membership its creator
 * signed plus this peer's own record of it, kept in the store. The book
 * decides what a membership that arrives means (newer, the same, an old one
 * replayed, a forgery); it never signs or sends anything itself.
 */

import {
  membershipProblem,
  nameKey,
  parseMembership,
  type RoomMember,
  type RoomMembership,
  shortId,
} from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import type { MessageStore } from "../store/mod.ts";
import { RoomError } from "./room_error.ts";

/** What this peer records about a room besides its membership. */
export interface RoomLocal {
  /** This peer asked the creator to remove it, and no version without it has come yet. */
  leaving: boolean;
  /** Creator only: the newest version each member (or former member) acknowledged. */
  acked: Record<string, number>;
  /** Creator only: peers removed who have not acknowledged the version that removed them. */
  former: string[];
}

/** One room. */
export interface RoomRecord {
  membership: RoomMembership;
  local: RoomLocal;
}

/** What a membership that arrived is, against the one this peer holds. */
export type MembershipVerdict =
  | { kind: "newer" }
  | { kind: "same" }
  | { kind: "refused"; reason: string }
  /** An older version than this peer holds. */
  | { kind: "stale"; held: number };

/** Shortest room ID prefix accepted where a room is named. */
export const MIN_ROOM_ID_PREFIX = 6;

/** The rooms, in memory and in the store. */
export class RoomBook {
  readonly #store: MessageStore;
  readonly #me: string;
  readonly #rooms = new Map<string, RoomRecord>();

  private constructor(store: MessageStore, me: string) {
    this.#store = store;
    this.#me = me;
  }

  /** Reads every room from the store; a record that no longer parses is logged and skipped. */
  static async load(store: MessageStore, me: string, logger: Logger): Promise<RoomBook> {
    const book = new RoomBook(store, me);
    for (const row of await store.rooms()) {
      try {
        const membership = parseMembership(JSON.parse(row.membership), "membership");
        const local = JSON.parse(row.local) as RoomLocal;
        book.#rooms.set(row.id, { membership, local });
      } catch (error) {
        logger.warn("stored room unreadable; skipped", { room: row.id, error: String(error) });
      }
    }
    return book;
  }

  get(id: string): RoomRecord | undefined {
    return this.#rooms.get(id);
  }

  list(): RoomRecord[] {
    return [...this.#rooms.values()];
  }

  /** True while this peer is a member and has not asked to leave. */
  isMember(record: RoomRecord): boolean {
    return !record.local.leaving && record.membership.members.some((m) => m.id === this.#me);
  }

  /**
   * The room `ref` names: its ID, its first {@linkcode MIN_ROOM_ID_PREFIX}+
   * characters, or its name (with or without `#`), preferring rooms this
   * peer is in. Throws {@linkcode RoomError}.
   */
  resolve(ref: string): RoomRecord {
    const wanted = ref.trim().replace(/^#/, "");
    const exact = this.#rooms.get(wanted.toLowerCase());
    if (exact) return exact;
    const all = this.list();
    const named = all.filter((r) => nameKey(r.membership.name) === nameKey(wanted));
    const mine = named.filter((r) => this.isMember(r));
    const byName = mine.length > 0 ? mine : named;
    if (byName.length === 1) return byName[0];
    if (byName.length > 1) {
      throw new RoomError(
        "ambiguous_room",
        `${byName.length} rooms are called #${wanted} (${
          byName.map((r) => shortId(r.membership.id)).join(", ")
        }); name one by its ID`,
      );
    }
    if (wanted.length >= MIN_ROOM_ID_PREFIX) {
      const prefixed = all.filter((r) => r.membership.id.startsWith(wanted.toLowerCase()));
      if (prefixed.length === 1) return prefixed[0];
    }
    throw new RoomError("unknown_room", `No room #${wanted} is known (see /rooms)`);
  }

  /** Judges a membership that arrived (its signature, then its version). */
  async judge(membership: RoomMembership): Promise<MembershipVerdict> {
    const problem = await membershipProblem(membership);
    if (problem) return { kind: "refused", reason: problem };
    const held = this.#rooms.get(membership.id);
    if (!held) {
      return membership.members.some((m) => m.id === this.#me)
        ? { kind: "newer" }
        : { kind: "refused", reason: "this peer is not one of its members" };
    }
    const version = held.membership.version;
    if (membership.version < version) return { kind: "stale", held: version };
    if (membership.version > version) return { kind: "newer" };
    return membership.signature === held.membership.signature
      ? { kind: "same" }
      : { kind: "refused", reason: `its version ${version} differs from the one this peer holds` };
  }

  /** Records a room (new or changed) in memory and in the store. */
  async save(record: RoomRecord): Promise<void> {
    this.#rooms.set(record.membership.id, record);
    await this.#store.saveRoom({
      id: record.membership.id,
      membership: JSON.stringify(record.membership),
      local: JSON.stringify(record.local),
    });
  }
}

/** A new room's own record. */
export function freshLocal(): RoomLocal {
  return { leaving: false, acked: {}, former: [] };
}

/** The member with `id`, as the membership names it. */
export function memberOf(membership: RoomMembership, id: string): RoomMember | undefined {
  return membership.members.find((m) => m.id === id);
}
