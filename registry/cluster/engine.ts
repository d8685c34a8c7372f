/**
 * The connections to the cluster engine (Redis, through the `ioredis`
 * client): one for writes and one for the blocking stream read. Commands
 * fail at once while the engine is unreachable — nothing is queued to be
 * replayed against an engine that may have lost its state meanwhile — and
 * a command without an answer within a few ticks fails too (a frozen
 * engine keeps its sockets open). The client reconnects by itself.
 */

import { Redis, type RedisOptions } from "ioredis";
import { redactedClusterUrl } from "../cluster_url.ts";
import { CLAIM, JOIN, KEY_LIST, KICK, LOAD, RELEASE, REWIND, TICK } from "./scripts.ts";

/** Script replies as ioredis hands them over. */
export type ScriptReply = (string | number | null | ScriptReply)[];

const SCRIPTS = {
  join: JOIN,
  claim: CLAIM,
  release: RELEASE,
  kick: KICK,
  tick: TICK,
  load: LOAD,
  rewind: REWIND,
};

/** Names of the scripts the engine runs. */
export type ScriptName = keyof typeof SCRIPTS;

/** Options for {@linkcode Engine.connect}. */
export interface EngineOptions {
  url: string;
  /** Longest wait for any answer; also the first connection's deadline. */
  commandTimeoutMs: number;
  /** How long one blocking stream read waits for news. */
  blockMs: number;
  /** Told when a connection drops or comes back (`reason` when it dropped). */
  onConnection: (up: boolean, reason?: string) => void;
}

/** The engine could not be reached, or refused us (bad password, wrong database). */
export class EngineUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** Writer and reader connections to one Redis. */
export class Engine {
  readonly #writer: Redis;
  readonly #reader: Redis;
  readonly #blockMs: number;

  private constructor(writer: Redis, reader: Redis, blockMs: number) {
    this.#writer = writer;
    this.#reader = reader;
    this.#blockMs = blockMs;
  }

  /** Connects both clients; rejects with {@linkcode EngineUnreachable}. */
  static async connect(options: EngineOptions): Promise<Engine> {
    const common: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: options.commandTimeoutMs,
      // Reconnect forever, quickly at first: the engine coming back must be noticed soon.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
      reconnectOnError: () => false,
    };
    const writer = new Redis(options.url, {
      ...common,
      commandTimeout: options.commandTimeoutMs,
      connectionName: "p2pchat-registry",
    });
    const reader = new Redis(options.url, {
      ...common,
      commandTimeout: options.blockMs + options.commandTimeoutMs,
      connectionName: "p2pchat-registry-reader",
    });
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      writer.defineCommand(name, { lua, numberOfKeys: KEY_LIST.length });
    }
    // Errors reach us through rejected commands; without a listener ioredis
    // prints each one. The first one says best why a first connection failed.
    let firstError: Error | undefined;
    const remember = (error: Error) => firstError ??= error;
    writer.on("error", remember);
    reader.on("error", remember);
    try {
      await Promise.all([writer.connect(), reader.connect()]);
    } catch (error) {
      await Promise.all([writer, reader].map(closed));
      const reason = (firstError ?? error as Error).message;
      throw new EngineUnreachable(
        `Cannot use the cluster engine at ${redactedClusterUrl(options.url)}: ${reason}`,
      );
    }
    writer.off("error", remember);
    reader.off("error", remember);
    writer.on("error", () => {});
    reader.on("error", () => {});
    writer.on("close", () => options.onConnection(false, "the connection to Redis closed"));
    writer.on("ready", () => options.onConnection(true));
    return new Engine(writer, reader, options.blockMs);
  }

  /** Runs one of the table's scripts with all its keys. */
  async run(script: ScriptName, args: (string | number)[]): Promise<ScriptReply> {
    const command = (this.#writer as unknown as Record<
      ScriptName,
      (...args: (string | number)[]) => Promise<ScriptReply>
    >)[script];
    return await command.call(this.#writer, ...KEY_LIST, ...args);
  }

  /**
   * Waits up to the block time for stream entries after `afterSeq`.
   * Returns `[entry ID, fields]` pairs (none when nothing came).
   */
  async read(stream: string, afterSeq: number, count: number): Promise<[string, string[]][]> {
    const reply = await this.#reader.xread(
      "COUNT",
      count,
      "BLOCK",
      this.#blockMs,
      "STREAMS",
      stream,
      `${afterSeq}-0`,
    );
    return reply?.[0]?.[1] ?? [];
  }

  /** Server facts for reports: command counts, CPU, memory. */
  async info(section: string): Promise<string> {
    return await this.#writer.info(section);
  }

  /** Closes both connections without waiting for answers; resolves once they are closed. */
  async close(): Promise<void> {
    await Promise.all([this.#writer, this.#reader].map(closed));
  }
}

/** Disconnects `client` and waits until its socket is gone. */
export function closed(client: Redis): Promise<void> {
  // Between attempts there is no socket: disconnecting only cancels the next one.
  if (["end", "close", "reconnecting", "wait"].includes(client.status)) {
    client.disconnect();
    return Promise.resolve();
  }
  const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
  client.disconnect();
  return ended;
}
