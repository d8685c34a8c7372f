/**
 * Trust on first use, per name (like SSH's known_hosts, or Signal's safety
 * numbers): the first ID seen under a name is pinned. If the registry later
 * lists a different ID under that name, the user is told (`key_changed`)
 * and nothing is delivered to the new ID until they confirm with `/trust`.
 * A registry cannot quietly swap in someone else.
 */

import { nameKey, type PeerInfo } from "../../protocol/mod.ts";
import type { MessageStore } from "./message_store.ts";
import type { Pin } from "./stored_message.ts";

/** What {@linkcode PinBook.observe} concluded about a listed peer. */
export type PinVerdict =
  | { kind: "trusted" }
  | { kind: "pinned" }
  | { kind: "changed"; pin: Pin };

/** Pinned IDs by name, kept in the store. */
export class PinBook {
  readonly #store: MessageStore;
  readonly #pins: Map<string, Pin>;
  /** Current name of each listed peer, so trust can be decided by ID. */
  readonly #names = new Map<string, string>();

  private constructor(store: MessageStore, pins: Map<string, Pin>) {
    this.#store = store;
    this.#pins = pins;
  }

  static async load(store: MessageStore): Promise<PinBook> {
    return new PinBook(store, await store.pins());
  }

  /** Checks a peer the registry lists, pinning its name on first sight. */
  async observe(peer: PeerInfo): Promise<PinVerdict> {
    this.#names.set(peer.id, peer.name);
    const key = nameKey(peer.name);
    const pin = this.#pins.get(key);
    if (pin?.id === peer.id) return { kind: "trusted" };
    if (pin) return { kind: "changed", pin };
    await this.#save(key, { name: peer.name, id: peer.id, pinnedAt: Date.now() });
    return { kind: "pinned" };
  }

  /** The user accepts `peer`'s current ID for its name. */
  async trust(peer: PeerInfo): Promise<Pin | undefined> {
    const key = nameKey(peer.name);
    const previous = this.#pins.get(key);
    this.#names.set(peer.id, peer.name);
    await this.#save(key, { name: peer.name, id: peer.id, pinnedAt: Date.now() });
    return previous;
  }

  /**
   * False if the name this peer goes by is pinned to another ID. Peers never
   * listed under a name (only known from an earlier run) count as trusted:
   * they were pinned when first seen.
   */
  isTrusted(peerId: string): boolean {
    const name = this.#names.get(peerId);
    if (name === undefined) return true;
    const pin = this.#pins.get(nameKey(name));
    return pin === undefined || pin.id === peerId;
  }

  /**
   * True unless `peer`'s name is pinned to another ID: messages from a peer
   * this says false about are from an unverified key and are shown as such.
   * A name never pinned (first contact, or a peer nobody listed) vouches for
   * whoever shows up with it; a peer that is not listed goes by its short ID.
   */
  vouchesFor(peer: PeerInfo): boolean {
    const pin = this.#pins.get(nameKey(peer.name));
    return pin === undefined || pin.id === peer.id;
  }

  async #save(key: string, pin: Pin): Promise<void> {
    this.#pins.set(key, pin);
    await this.#store.savePin(key, pin);
  }
}
