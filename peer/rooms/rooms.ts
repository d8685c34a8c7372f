/**
 * Named group conversations. A room's membership is signed by its creator
 * (who alone may invite, and who applies the leave requests of members);
 * what this peer posts is stored once per member and delivered by the
 * {@linkcode Courier} like any message — per-member outbox, acks, resent in
 * order — each copy carrying the membership, so a member learns of a room
 * (or of a newer version) from whichever message reaches it first. What
 * arrives is let in only if its membership verifies and its sender is a
 * member; anything else is refused, and said so.
 */

import {
  MAX_ROOM_MEMBERS,
  type MembershipSigner,
  nameProblem,
  newMessageId,
  normalizeName,
  type PeerInfo,
  type RoomAckMessage,
  roomIdFor,
  type RoomLeaveMessage,
  type RoomMember,
  type RoomMembership,
  type RoomStateMessage,
  shortId,
  signMembership,
} from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import type { DirectLink, LinkPool } from "../link/mod.ts";
import type { Courier, PeerLookup } from "../delivery/mod.ts";
import type { MessageStore, StoredMessage } from "../store/mod.ts";
import { freshLocal, memberOf, type RoomBook, type RoomRecord } from "./room_book.ts";
import { RoomError } from "./room_error.ts";
import type { RoomEvent, RoomHistoryEntry, RoomSummary, RoomView } from "./room_events.ts";
import { MembershipSync } from "./membership_sync.ts";

/** What {@linkcode Rooms} works with. */
export interface RoomsOptions {
  /** This peer's key pair: it signs the rooms this peer creates. */
  identity: MembershipSigner;
  /** This peer's own name, as its members list it. */
  name: string;
  book: RoomBook;
  store: MessageStore;
  courier: Courier;
  links: LinkPool;
  directory: PeerLookup;
  emit: (event: RoomEvent) => void;
  logger: Logger;
}

/** The room a received message was let into. */
export interface AdmittedRoom {
  id: string;
  name: string;
}

/** A room message that arrived, as {@linkcode Rooms.admit} judges it. */
export type Admission =
  /** Not a room message. */
  | undefined
  /** Refused (already said): acknowledge it, keep nothing. */
  | null
  | AdmittedRoom;

/** This peer's rooms. */
export class Rooms {
  readonly #options: RoomsOptions;
  readonly #me: string;
  readonly #sync: MembershipSync;
  /** The room of each undelivered message posted before this run, by message ID. */
  readonly #outboxRooms = new Map<string, string>();
  /** Changes to the book happen one at a time, in the order they came. */
  #serial: Promise<unknown> = Promise.resolve();

  constructor(options: RoomsOptions) {
    this.#options = options;
    this.#me = options.identity.id;
    this.#sync = new MembershipSync({
      me: this.#me,
      book: options.book,
      links: options.links,
      directory: options.directory,
      logger: options.logger,
    });
  }

  /** Picks up the rooms of messages an earlier run left undelivered. */
  async restore(): Promise<void> {
    for (const [id, roomId] of await this.#options.store.roomsOfOutbox()) {
      this.#outboxRooms.set(id, roomId);
    }
  }

  /** Creates a room of this peer and `members`; this peer signs its every version. */
  create(name: string, members: PeerInfo[]): Promise<RoomView> {
    return this.#queued(async () => {
      const roomName = normalizeName(name.trim().replace(/^#/, ""));
      const problem = nameProblem(roomName);
      if (problem) throw new RoomError("bad_room_name", `Room ${problem.replace(/^Name/, "name")}`);
      const list = withMembers([{ id: this.#me, name: this.#options.name }], members);
      const nonce = crypto.randomUUID();
      const id = await roomIdFor(this.#me, nonce);
      const record = {
        membership: await this.#sign(id, roomName, nonce, 1, list),
        local: freshLocal(),
      };
      return await this.#changed(record, []);
    });
  }

  /** Adds `members` to a room this peer created. */
  invite(ref: string, members: PeerInfo[]): Promise<RoomView> {
    return this.#queued(async () => {
      const record = this.#options.book.resolve(ref);
      const room = record.membership;
      this.#mustCreate(record, "invite");
      const list = withMembers(room.members, members);
      if (list.length === room.members.length) return this.#view(record);
      const added = new Set(list.map((m) => m.id));
      const local = { ...record.local, former: record.local.former.filter((id) => !added.has(id)) };
      const membership = await this.#sign(room.id, room.name, room.nonce, room.version + 1, list);
      return await this.#changed({ membership, local }, []);
    });
  }

  /**
   * Leaves a room. The creator signs a version without itself at once;
   * a member asks the creator (reliably), and stops taking the room's messages now.
   */
  leave(ref: string): Promise<RoomView> {
    return this.#queued(async () => {
      const { book } = this.#options;
      const record = book.resolve(ref);
      const room = record.membership;
      if (!book.isMember(record)) {
        throw new RoomError("not_member", `This peer is not in #${room.name}`);
      }
      if (room.creator === this.#me) {
        const list = room.members.filter((m) => m.id !== this.#me);
        const membership = await this.#sign(room.id, room.name, room.nonce, room.version + 1, list);
        return await this.#changed({ membership, local: record.local }, []);
      }
      const left = { ...record, local: { ...record.local, leaving: true } };
      await book.save(left);
      const view = this.#view(left);
      this.#options.emit({ event: "room", ...view });
      this.#sync.reach([room.creator]);
      return view;
    });
  }

  /**
   * Posts `text` to every other member: one stored message per member under
   * one ID, each delivered (and resent) by the courier. Resolves once stored.
   */
  async post(ref: string, text: string): Promise<{ id: string; room: RoomView }> {
    const { book, store, courier } = this.#options;
    const record = book.resolve(ref);
    const room = record.membership;
    if (!book.isMember(record)) {
      throw new RoomError("not_member", `This peer is not in #${room.name}`);
    }
    const others = room.members.filter((m) => m.id !== this.#me);
    if (others.length === 0) {
      throw new RoomError(
        "room_empty",
        `Nobody else is in #${room.name}` +
          (room.creator === this.#me ? ` (add someone: /room invite ${room.name} NAME)` : ""),
      );
    }
    const id = newMessageId();
    const sentAt = Date.now();
    const messages: StoredMessage[] = others.map((member) => ({
      id,
      peerId: member.id,
      direction: "out",
      text,
      sentAt,
      broadcast: false,
      status: "pending",
      roomId: room.id,
    }));
    await store.saveRoomOutgoing(messages);
    courier.enqueue(messages);
    return { id, room: this.#view(record) };
  }

  /** A room's newest `limit` messages (with `before`, those older than it), oldest first. */
  async history(
    ref: string,
    limit: number,
    before?: string,
  ): Promise<{ room: RoomView; messages: RoomHistoryEntry[] }> {
    const record = this.#options.book.resolve(ref);
    const stored = await this.#options.store.roomHistory(record.membership.id, limit, before);
    const me = { id: this.#me, name: this.#options.name };
    const messages = stored.map((m): RoomHistoryEntry => ({
      id: m.id,
      direction: m.direction,
      from: m.direction === "out" ? me : this.#member(record.membership, m.peerId),
      text: m.text,
      sentAt: m.sentAt,
      status: m.status,
    }));
    return { room: this.#view(record), messages };
  }

  /** Every room this peer knows, rooms it is in first, each with its unread count. */
  async list(): Promise<RoomSummary[]> {
    const unread = await this.#options.store.roomUnread();
    const views = this.#options.book.list().map((record) => ({
      ...this.#view(record),
      unread: unread.get(record.membership.id) ?? 0,
    }));
    return views.sort((a, b) => Number(a.left) - Number(b.left) || a.name.localeCompare(b.name));
  }

  /** The membership a stored outgoing message travels with, if it was posted in a room. */
  membershipFor(message: StoredMessage): RoomMembership | undefined {
    const roomId = message.roomId ?? this.#outboxRooms.get(message.id);
    return roomId === undefined ? undefined : this.#options.book.get(roomId)?.membership;
  }

  /**
   * Judges the room messages among `chats` from `peerId`: the membership each
   * carries is applied if newer, then the sender must be a member of the
   * room as this peer knows it.
   */
  admit(
    peerId: string,
    chats: readonly { type: string; room?: RoomMembership }[],
  ): Promise<Admission[]> {
    if (!chats.some((chat) => chat.room)) return Promise.resolve(chats.map(() => undefined));
    return this.#queued(async () => {
      const admissions: Admission[] = [];
      for (const chat of chats) {
        admissions.push(chat.room && await this.#admitOne(peerId, chat.room));
      }
      return admissions;
    });
  }

  /** A room message from a link: a membership, its acknowledgement, or a leave request. */
  receive(link: DirectLink, message: RoomStateMessage | RoomAckMessage | RoomLeaveMessage): void {
    const handled = this.#queued(async () => {
      switch (message.type) {
        case "room_state":
          return await this.#pushed(link, message.room);
        case "room_ack":
          return await this.#acknowledged(link.peerId, message.room, message.version);
        case "room_leave":
          return await this.#leaveRequested(link, message.room);
      }
    });
    handled.catch((error) => {
      this.#options.logger.error("room message failed", { error: String(error) });
      this.#options.emit({ event: "error", message: (error as Error).message });
    });
  }

  /** A link opened: send it the memberships (or leave requests) it is owed. */
  linkOpened(link: DirectLink): void {
    this.#sync.linkOpened(link);
  }

  /** A peer is listed (again): reach it if something is owed. */
  peerAvailable(peerId: string): void {
    this.#sync.reach([peerId]);
  }

  /** Waits for work in progress. */
  async settled(): Promise<void> {
    await this.#serial.catch(() => {});
    await this.#sync.settled();
  }

  async #admitOne(peerId: string, carried: RoomMembership): Promise<Admission> {
    const { book, logger } = this.#options;
    const from = this.#peerName(peerId);
    const verdict = await book.judge(carried);
    if (verdict.kind === "refused") {
      return this.#refuse(
        `Refused a message in room #${carried.name} from ${from}: ` +
          `its membership does not hold (${verdict.reason})`,
      );
    }
    if (verdict.kind === "newer") await this.#accept(carried);
    const record = book.get(carried.id)!;
    const room = record.membership;
    if (!room.members.some((m) => m.id === peerId)) {
      return this.#refuse(
        `Refused a message in room #${room.name} from ${from}: ` +
          `${from} is not a member of version ${room.version}`,
      );
    }
    if (!book.isMember(record)) {
      logger.info("message in a room this peer left; not kept", { room: room.id, from });
      return null;
    }
    return { id: room.id, name: room.name };
  }

  /** A membership pushed on its own: applied if newer, acknowledged if held. */
  async #pushed(link: DirectLink, room: RoomMembership): Promise<void> {
    const from = this.#peerName(link.peerId);
    const verdict = await this.#options.book.judge(room);
    switch (verdict.kind) {
      case "refused":
        this.#refuse(`Refused a change to room #${room.name} from ${from}: ${verdict.reason}`);
        return;
      case "stale":
        this.#refuse(
          `Refused room #${room.name} version ${room.version} from ${from}: this peer holds ` +
            `version ${verdict.held}, and an old version replayed changes nothing`,
        );
        return;
      case "newer":
        await this.#accept(room);
        break;
      case "same":
        break;
    }
    link.send({ type: "room_ack", room: room.id, version: room.version });
  }

  /** Takes a newer membership that verified. */
  async #accept(room: RoomMembership): Promise<void> {
    const { book } = this.#options;
    const held = book.get(room.id);
    const local = held?.local ?? freshLocal();
    const stillListed = room.members.some((m) => m.id === this.#me);
    // The creator applied our leave (or never had us): nothing more to ask.
    const record = { membership: room, local: { ...local, leaving: local.leaving && stillListed } };
    await book.save(record);
    this.#options.emit({ event: "room", ...this.#view(record) });
    if (record.local.leaving) this.#sync.reach([room.creator]);
  }

  async #acknowledged(peerId: string, roomId: string, version: number): Promise<void> {
    const { book } = this.#options;
    const record = book.get(roomId);
    if (!record || record.membership.creator !== this.#me) return;
    const { acked, former } = record.local;
    if ((acked[peerId] ?? 0) >= version) return;
    const current = version >= record.membership.version;
    await book.save({
      membership: record.membership,
      local: {
        ...record.local,
        acked: { ...acked, [peerId]: version },
        former: current ? former.filter((id) => id !== peerId) : former,
      },
    });
  }

  async #leaveRequested(link: DirectLink, roomId: string): Promise<void> {
    const { book, logger } = this.#options;
    const record = book.get(roomId);
    if (!record || record.membership.creator !== this.#me) {
      logger.warn("leave request for a room this peer did not create; ignored", {
        room: roomId,
        from: shortId(link.peerId),
      });
      return;
    }
    const room = record.membership;
    if (!room.members.some((m) => m.id === link.peerId)) {
      // Already out: let it see the version that says so.
      link.send({ type: "room_state", room });
      return;
    }
    const list = room.members.filter((m) => m.id !== link.peerId);
    const membership = await this.#sign(room.id, room.name, room.nonce, room.version + 1, list);
    const local = { ...record.local, former: [...record.local.former, link.peerId] };
    await this.#changed({ membership, local }, [link.peerId]);
  }

  /** Saves a version this peer signed, says so, and takes it to everyone concerned. */
  async #changed(record: RoomRecord, alsoTell: string[]): Promise<RoomView> {
    await this.#options.book.save(record);
    const view = this.#view(record);
    this.#options.emit({ event: "room", ...view });
    this.#sync.reach([
      ...record.membership.members.map((m) => m.id),
      ...record.local.former,
      ...alsoTell,
    ]);
    return view;
  }

  async #sign(
    id: string,
    name: string,
    nonce: string,
    version: number,
    members: RoomMember[],
  ): Promise<RoomMembership> {
    if (members.length > MAX_ROOM_MEMBERS) {
      throw new RoomError(
        "room_full",
        `A room has at most ${MAX_ROOM_MEMBERS} members; that would make ${members.length}`,
      );
    }
    return await signMembership(this.#options.identity, { id, name, nonce, version, members });
  }

  #mustCreate(record: RoomRecord, what: string): void {
    const room = record.membership;
    if (room.creator === this.#me) return;
    throw new RoomError(
      "not_creator",
      `Only #${room.name}'s creator ${this.#member(room, room.creator).name} may ${what}`,
    );
  }

  #refuse(message: string): null {
    this.#options.logger.warn("room change refused", { reason: message });
    this.#options.emit({ event: "error", message });
    return null;
  }

  #view(record: RoomRecord): RoomView {
    const room = record.membership;
    return {
      id: room.id,
      name: room.name,
      members: room.members.map((m) => ({ id: m.id, name: m.name })),
      version: room.version,
      creator: this.#member(room, room.creator),
      left: !this.#options.book.isMember(record),
    };
  }

  /** A member by ID: as the membership names it, else as last seen. */
  #member(room: RoomMembership, id: string): RoomMember {
    const listed = memberOf(room, id);
    if (listed) return { id, name: listed.name };
    return { id, name: this.#peerName(id) };
  }

  #peerName(peerId: string): string {
    if (peerId === this.#me) return this.#options.name;
    return this.#options.directory.lastKnown(peerId)?.name ?? shortId(peerId);
  }

  #queued<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(task, task);
    this.#serial = run.catch(() => {});
    return run;
  }
}

/** `list` with each of `added` appended unless already in it. */
function withMembers(list: RoomMember[], added: PeerInfo[]): RoomMember[] {
  const out = list.map((m) => ({ id: m.id, name: m.name }));
  for (const peer of added) {
    if (!out.some((m) => m.id === peer.id)) out.push({ id: peer.id, name: peer.name });
  }
  return out;
}
