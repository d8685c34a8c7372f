/**
 * The meeting bus on Redis pub/sub: each instance subscribes to its own
 * channel, `{p2pchat}:meet:INSTANCE`, and publishes to another's. One
 * publishing connection per instance keeps the envelopes to each instance in
 * the order sent, which a relay circuit's bytes need. `PUBLISH` answers how
 * many subscribers got the envelope: none means that instance is not
 * listening (gone), and the send fails, so the peer's try or circuit fails
 * at once instead of waiting for a timeout.
 */

import { Redis, type RedisOptions } from "ioredis";
import { type MeetingEnvelope, parseMeetingEnvelope } from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import type { MeetingBus } from "../rendezvous/mod.ts";
import { closed } from "./engine.ts";

/** The channel an instance listens on. */
export function meetingChannel(instance: string): string {
  return `{p2pchat}:meet:${instance}`;
}

/** Options for {@linkcode RedisMeetingBus.connect}. */
export interface RedisMeetingBusOptions {
  url: string;
  instance: string;
  commandTimeoutMs: number;
  logger: Logger;
}

/** Rendezvous envelopes between instances, over Redis pub/sub. */
export class RedisMeetingBus implements MeetingBus {
  readonly instance: string;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #logger: Logger;
  #deliver: ((envelope: MeetingEnvelope) => void) | undefined;

  private constructor(options: RedisMeetingBusOptions, publisher: Redis, subscriber: Redis) {
    this.instance = options.instance;
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#logger = options.logger;
    subscriber.on("message", (_channel: string, text: string) => this.#received(text));
  }

  /** Connects both clients and subscribes; rejects when Redis cannot be reached. */
  static async connect(options: RedisMeetingBusOptions): Promise<RedisMeetingBus> {
    const common: RedisOptions = {
      lazyConnect: true,
      // A relay byte sent late is worse than one refused: the link retries.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.commandTimeoutMs,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
    };
    const publisher = new Redis(options.url, {
      ...common,
      commandTimeout: options.commandTimeoutMs,
      connectionName: "p2pchat-registry-meet",
    });
    // ioredis subscribes again by itself after a reconnect.
    const subscriber = new Redis(options.url, {
      ...common,
      connectionName: "p2pchat-registry-meet-inbox",
    });
    for (const client of [publisher, subscriber]) client.on("error", () => {});
    try {
      await Promise.all([publisher.connect(), subscriber.connect()]);
      await subscriber.subscribe(meetingChannel(options.instance));
    } catch (error) {
      await Promise.all([publisher, subscriber].map(closed));
      throw error;
    }
    return new RedisMeetingBus(options, publisher, subscriber);
  }

  async send(instance: string, envelope: MeetingEnvelope): Promise<void> {
    const received = await this.#publisher.publish(
      meetingChannel(instance),
      JSON.stringify(envelope),
    );
    if (received === 0) throw new Error(`instance ${instance} is not listening`);
  }

  listen(deliver: (envelope: MeetingEnvelope) => void): void {
    this.#deliver = deliver;
  }

  /** Disconnects both clients; resolves once their sockets are gone. */
  async close(): Promise<void> {
    this.#deliver = undefined;
    await Promise.all([this.#publisher, this.#subscriber].map(closed));
  }

  #received(text: string): void {
    let envelope: MeetingEnvelope;
    try {
      envelope = parseMeetingEnvelope(JSON.parse(text), "");
    } catch (error) {
      // Only instances write here; a bad envelope is a bug or a version mix.
      this.#logger.warn("dropped a malformed rendezvous envelope from the cluster", {
        error: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    this.#deliver?.(envelope);
  }
}
