/**
 * The Deno KV message store of earlier versions, kept only to write real
 * old-format data for the upgrade test: the same keys, values and commits as
 * that version's `peer/store/message_store.ts` (writes only; the reading side
 * is what the new store's import replaces). Needs `--unstable-kv`.
 */

import type { PeerInfo } from "../../protocol/mod.ts";
import {
  isProgress,
  type MessageStatus,
  type Pin,
  type StoredMessage,
} from "../../peer/store/mod.ts";

/** How long the old store kept a received ID for dropping duplicates. */
const DEDUP_WINDOW_MS = 30 * 24 * 3600 * 1000;

/** The old store's writing half. */
export class LegacyKvStore {
  readonly #kv: Deno.Kv;

  private constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  static async open(path: string): Promise<LegacyKvStore> {
    return new LegacyKvStore(await Deno.openKv(path));
  }

  /** Conversation entry + outbox entry, one commit. */
  async saveOutgoing(messages: StoredMessage[]): Promise<void> {
    const op = this.#kv.atomic();
    for (const m of messages) op.set(conversationKey(m), m).set(["outbox", m.peerId, m.id], true);
    await commit(op);
  }

  /** As the old Courier recorded an ack: status from the caller, out of the outbox. */
  async markDelivered(messages: StoredMessage[]): Promise<void> {
    const op = this.#kv.atomic();
    for (const m of messages) {
      op.set(conversationKey(m), { ...m, status: m.status === "read" ? "read" : "delivered" })
        .delete(["outbox", m.peerId, m.id]);
    }
    await commit(op);
  }

  /** A receipt arrived: outgoing messages become read and leave the outbox. */
  async advanceOutgoing(peerId: string, ids: string[], status: MessageStatus): Promise<void> {
    await this.#advance(peerId, "out", ids, status, (op, m) => {
      op.delete(["outbox", peerId, m.id]);
    });
  }

  /** Conversation entry, incoming index and dedup key, with a "not seen" check each. */
  async saveIncoming(messages: StoredMessage[]): Promise<void> {
    const op = this.#kv.atomic();
    const now = Date.now();
    for (const m of messages) {
      op.check({ key: ["dedup", m.peerId, m.id], versionstamp: null });
      op.set(conversationKey(m), m)
        .set(["incoming", m.id, m.peerId], true)
        .set(["dedup", m.peerId, m.id], now, { expireIn: DEDUP_WINDOW_MS });
    }
    await commit(op);
  }

  /** The user saw these: status read, and a receipt owed to the sender. */
  async markRead(peerId: string, ids: string[]): Promise<void> {
    await this.#advance(peerId, "in", ids, "read", (op, m) => {
      op.set(["receipts", peerId, m.id], true);
    });
  }

  async rememberPeers(peers: PeerInfo[]): Promise<void> {
    const op = this.#kv.atomic();
    const now = Date.now();
    for (const p of peers) {
      op.set(["peers", p.id], { id: p.id, name: p.name, address: p.address, lastSeenAt: now });
    }
    await commit(op);
  }

  async savePin(key: string, pin: Pin): Promise<void> {
    await this.#kv.set(["pins", key], pin);
  }

  close(): void {
    this.#kv.close();
  }

  async #advance(
    peerId: string,
    direction: "in" | "out",
    ids: string[],
    status: MessageStatus,
    extra: (op: Deno.AtomicOperation, message: StoredMessage) => void,
  ): Promise<void> {
    const op = this.#kv.atomic();
    for (const id of ids) {
      const stored = await this.#kv.get<StoredMessage>(["conversation", peerId, id, direction]);
      if (!stored.value || !isProgress(stored.value.status, status)) continue;
      const changed = { ...stored.value, status };
      op.set(conversationKey(changed), changed);
      extra(op, changed);
    }
    await commit(op);
  }
}

function conversationKey(m: StoredMessage): Deno.KvKey {
  return ["conversation", m.peerId, m.id, m.direction];
}

async function commit(op: Deno.AtomicOperation): Promise<void> {
  const result = await op.commit();
  if (!result.ok) throw new Error("A legacy store transaction was refused");
}

/** One call on a {@linkcode LegacyKvStore}, as JSON. */
export type LegacyWrite =
  | { op: "saveOutgoing" | "markDelivered" | "saveIncoming"; messages: StoredMessage[] }
  | { op: "advanceOutgoing"; peerId: string; ids: string[]; status: MessageStatus }
  | { op: "markRead"; peerId: string; ids: string[] }
  | { op: "rememberPeers"; peers: PeerInfo[] }
  | { op: "savePin"; key: string; pin: Pin };

/**
 * Writes `writes` into a Deno KV store at `path` through the old code, in a
 * `deno run --unstable-kv` of this file (the test process itself runs
 * without the flag, as the peer now does).
 */
export async function writeLegacyKvStore(path: string, writes: LegacyWrite[]): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--unstable-kv", import.meta.filename!, path],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(writes)));
  await writer.close();
  const { success, stderr } = await child.output();
  if (!success) throw new Error(`legacy KV writer failed: ${new TextDecoder().decode(stderr)}`);
}

if (import.meta.main) {
  const writes: LegacyWrite[] = JSON.parse(await new Response(Deno.stdin.readable).text());
  const store = await LegacyKvStore.open(Deno.args[0]);
  for (const write of writes) {
    switch (write.op) {
      case "saveOutgoing":
      case "markDelivered":
      case "saveIncoming":
        await store[write.op](write.messages);
        break;
      case "advanceOutgoing":
        await store.advanceOutgoing(write.peerId, write.ids, write.status);
        break;
      case "markRead":
        await store.markRead(write.peerId, write.ids);
        break;
      case "rememberPeers":
        await store.rememberPeers(write.peers);
        break;
      case "savePin":
        await store.savePin(write.key, write.pin);
        break;
    }
  }
  store.close();
}
