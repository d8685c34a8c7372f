/**
 * Writes claims and releases to the shared table. Whatever arrives while a
 * script call is in flight waits and goes out as the next one, so a burst of
 * registrations costs a few round trips, not one each. A release the engine
 * has not confirmed (it was down, or the answer was lost) is kept and sent
 * again; a claim whose answer was lost is released, since it may have run.
 */

import { type LeaveReason, ProtocolError, shortId } from "../../protocol/mod.ts";
import type { Engine } from "./engine.ts";
import { type ClusterRecord, OPS_PER_ENTRY } from "./scripts.ts";

/** What the writer needs from the roster it writes for. */
export interface ClaimWriterHost {
  /** The epoch writes are meant for. */
  epoch(): string;
  /** This instance's run. */
  readonly run: string;
  /** Stream entries Redis keeps. */
  readonly maxlen: number;
  /** False while writes must wait: the engine is down, or the list is forming again. */
  writable(): boolean;
  /**
   * A claim went through at stream position `seq`. Returns false when the
   * peer is already known to have registered elsewhere after it.
   */
  claimed(record: ClusterRecord, seq: number): boolean;
  /** The engine answered that the epoch, or this run, is gone. */
  lostEpoch(): void;
  /** A command failed: the engine is unreachable or too slow. */
  failed(error: unknown): void;
  /** The refusal to give while the engine cannot be written. */
  unavailable(): ProtocolError;
}

interface PendingClaim {
  record: ClusterRecord;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Batched, fenced writes of one instance's claims and releases. */
export class ClaimWriter {
  readonly #engine: Engine;
  readonly #host: ClaimWriterHost;
  #queue: PendingClaim[] = [];
  #claiming = false;
  /** Releases the engine has not confirmed yet, by peer ID. */
  readonly #unreleased = new Map<string, { token: string; reason: LeaveReason }>();
  #releasing = false;

  constructor(engine: Engine, host: ClaimWriterHost) {
    this.#engine = engine;
    this.#host = host;
  }

  /** Claims `record`; rejects with `name_taken` or `cluster_unavailable`. */
  claim(record: ClusterRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      void this.#sendClaims();
    });
  }

  /** Releases `id` if `token` still owns it; retried until the engine confirms. */
  release(id: string, token: string, reason: LeaveReason): void {
    this.#unreleased.set(id, { token, reason });
    void this.flush();
  }

  /** Sends the releases that are waiting (the engine is back). */
  async flush(): Promise<void> {
    if (this.#releasing || this.#unreleased.size === 0 || !this.#host.writable()) return;
    this.#releasing = true;
    const batch = [...this.#unreleased.entries()].slice(0, OPS_PER_ENTRY);
    try {
      const reply = await this.#engine.run("release", [
        this.#host.epoch(),
        this.#host.maxlen,
        ...batch.flatMap(([id, { token, reason }]) => [id, token, reason]),
      ]);
      if (reply[0] !== "ok") {
        this.#host.lostEpoch();
        return;
      }
      for (const [id, release] of batch) {
        if (this.#unreleased.get(id) === release) this.#unreleased.delete(id);
      }
    } catch (error) {
      this.#host.failed(error);
      return;
    } finally {
      this.#releasing = false;
    }
    void this.flush();
  }

  /** Drops waiting releases: in a new epoch there is nothing left to release. */
  forgetReleases(): void {
    this.#unreleased.clear();
  }

  /** Refuses every claim still queued. */
  close(): void {
    for (const claim of this.#queue.splice(0)) claim.reject(this.#host.unavailable());
  }

  async #sendClaims(): Promise<void> {
    if (this.#claiming || this.#queue.length === 0) return;
    this.#claiming = true;
    const batch = this.#queue.splice(0, OPS_PER_ENTRY);
    try {
      const reply = await this.#engine.run("claim", [
        this.#host.epoch(),
        this.#host.run,
        this.#host.maxlen,
        ...batch.map((claim) => JSON.stringify(claim.record)),
      ]);
      if (reply[0] !== "ok") {
        for (const claim of batch) claim.reject(this.#host.unavailable());
        this.#host.lostEpoch();
        return;
      }
      const seq = Number(reply[1]);
      const results = reply[2] as string[];
      batch.forEach((claim, i) => this.#settle(claim, results[i], seq));
    } catch (error) {
      // The script may have run before the answer was lost: undo whatever it did.
      for (const claim of batch) {
        this.#unreleased.set(claim.record.id, { token: claim.record.token, reason: "timeout" });
        claim.reject(this.#host.unavailable());
      }
      this.#host.failed(error);
    } finally {
      this.#claiming = false;
    }
    void this.#sendClaims();
  }

  #settle(claim: PendingClaim, result: string, seq: number): void {
    if (result !== "ok") {
      const holder = result.slice("taken:".length);
      claim.reject(
        new ProtocolError(
          "name_taken",
          `Name ${JSON.stringify(claim.record.name)} is in use by another online peer (${
            shortId(holder)
          })`,
        ),
      );
    } else if (!this.#host.claimed(claim.record, seq)) {
      claim.reject(
        new ProtocolError("cluster_unavailable", "This peer registered elsewhere meanwhile"),
      );
    } else {
      claim.resolve();
    }
  }
}
