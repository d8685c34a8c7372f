/**
 * The peer's side of the store thread (`sqlite_thread.ts`): it owns the
 * worker, and turns calls into group commits. At most two batches are at
 * the thread at a time (one committing, the next ready); every task
 * submitted meanwhile waits here and goes in the next batch, as one
 * transaction. So a burst costs one fsync per batch, a lone message costs
 * one fsync without waiting for company, and nothing is answered before its
 * commit is on disk.
 *
 * Some writes need not be on disk soon, only eventually (a sender's record
 * that a message was delivered: if it is lost, the message is sent again and
 * the recipient drops the copy). {@linkcode runSoon} holds those back to ride
 * the next commit that happens anyway, so a chat's rhythm of "send, delivered,
 * send" costs one commit per message at the sender, not two, and the next
 * send never waits behind the previous one's bookkeeping.
 */

import {
  sqliteThread,
  type SqlStep,
  type StepResult,
  type ThreadReply,
  type ThreadRequest,
} from "./sqlite_thread.ts";
import { StoreError } from "./stored_message.ts";

/** A list of steps that commit together or not at all. */
export type SqlTask = SqlStep[];

/**
 * Rows after which a batch takes no more tasks. A commit costs one fsync
 * (~0.25 ms) and a row ~8 µs, so 1024 rows keep the fsync share near 3%
 * while the first of a burst reach the disk (and the network) after ~10 ms,
 * not after the whole burst.
 */
export const BATCH_ROWS = 1024;

/**
 * Batches at the thread at once. Two, so the thread starts on the next one
 * the moment a commit returns instead of waiting for this (busy) thread to
 * hand it over; everything submitted meanwhile still waits and is merged.
 */
const BATCHES_IN_FLIGHT = 2;

/**
 * How long a {@linkcode SqliteConnection.runSoon} task waits for a commit to
 * ride before it gets one of its own.
 */
export const RIDE_WAIT_MS = 25;

/** How many statement runs a task makes. */
export function taskRows(task: SqlTask): number {
  let rows = 0;
  for (const step of task) rows += step.width === 0 ? 1 : step.params.length / step.width;
  return rows;
}

interface Waiting {
  task: SqlTask;
  resolve: (steps: StepResult[]) => void;
  reject: (error: Error) => void;
}

interface Request {
  request: ThreadRequest;
  resolve: (reply: ThreadReply & { ok: true }) => void;
  reject: (error: Error) => void;
}

// A data: URL rather than a module path: `deno bundle` and `deno compile`
// both carry it inside the code (a `new URL("./x.ts", import.meta.url)`
// worker would be a file missing beside the bundle).
let threadUrl: string | undefined;
function sqliteThreadUrl(): string {
  threadUrl ??= `data:text/javascript,${encodeURIComponent(`(${sqliteThread.toString()})();`)}`;
  return threadUrl;
}

/** One SQLite database, served by its own worker thread. */
export class SqliteConnection {
  readonly path: string;
  readonly #worker: Worker;
  /** Requests at the thread, oldest first (it answers in order). */
  readonly #sent: Request[] = [];
  /** Tasks for the next batch. */
  #waiting: Waiting[] = [];
  /** {@linkcode runSoon} tasks waiting for the next commit (they join it, first). */
  #riders: Waiting[] = [];
  #rideTimer: ReturnType<typeof setTimeout> | undefined;
  #flushQueued = false;
  #batchesInFlight = 0;
  /** Callers of {@linkcode exec} and {@linkcode close} waiting for the tasks before them. */
  #drainWaiters: (() => void)[] = [];
  #broken: Error | undefined;
  #closing: Promise<void> | undefined;

  private constructor(path: string) {
    this.path = path;
    this.#worker = new Worker(sqliteThreadUrl(), { type: "module", name: "p2pchat-store" });
    this.#worker.onmessage = (event: MessageEvent<ThreadReply>) => this.#answered(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new StoreError(`The store thread for ${path} stopped: ${event.message}`));
    };
    this.#worker.onmessageerror = () => {
      this.#fail(new StoreError(`The store thread for ${path} sent an unreadable answer`));
    };
  }

  /** Starts the thread and opens (creating if needed) the database at `path`. */
  static async open(path: string): Promise<SqliteConnection> {
    const connection = new SqliteConnection(path);
    try {
      await connection.#request({ kind: "open", path });
    } catch (error) {
      connection.#worker.terminate();
      throw error;
    }
    return connection;
  }

  /**
   * Runs SQL outside any transaction (PRAGMAs, schema, ATTACH), after
   * everything submitted before it.
   */
  async exec(sql: string): Promise<void> {
    await this.#drained();
    await this.#request({ kind: "exec", sql });
  }

  /**
   * Runs `task` atomically, in the same transaction as whatever else is
   * waiting. Resolves with one result per step once the commit is durable.
   */
  run(task: SqlTask): Promise<StepResult[]> {
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#closing) {
      return Promise.reject(new StoreError(`The message store ${this.path} is closed`));
    }
    return new Promise((resolve, reject) => {
      this.#boardRiders();
      this.#waiting.push({ task, resolve, reject });
      this.#queueFlush();
    });
  }

  /**
   * Like {@linkcode run}, but the task waits (up to {@linkcode RIDE_WAIT_MS})
   * to join the next commit instead of causing one. Everything run after it
   * still sees it: a later task takes it along, ahead of itself.
   */
  runSoon(task: SqlTask): Promise<StepResult[]> {
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#closing) {
      return Promise.reject(new StoreError(`The message store ${this.path} is closed`));
    }
    return new Promise((resolve, reject) => {
      this.#riders.push({ task, resolve, reject });
      this.#rideTimer ??= setTimeout(() => {
        this.#rideTimer = undefined;
        this.#boardRiders();
        this.#queueFlush();
      }, RIDE_WAIT_MS);
    });
  }

  /** Waits for everything submitted, closes the database and stops the thread. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#drained();
        if (!this.#broken) await this.#request({ kind: "close" });
      } finally {
        this.#worker.terminate();
      }
    })();
    return this.#closing;
  }

  /** Moves the riders into the next batch, ahead of whatever comes next. */
  #boardRiders(): void {
    if (this.#riders.length === 0) return;
    clearTimeout(this.#rideTimer);
    this.#rideTimer = undefined;
    this.#waiting.push(...this.#riders);
    this.#riders = [];
  }

  // Same-turn calls share a batch: the flush waits for the current
  // microtasks, and for the batch in flight.
  #queueFlush(): void {
    if (this.#flushQueued || this.#batchesInFlight >= BATCHES_IN_FLIGHT) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#batchesInFlight < BATCHES_IN_FLIGHT && this.#waiting.length > 0) {
      this.#dispatch();
    }
  }

  /** Sends the oldest waiting tasks, up to {@linkcode BATCH_ROWS} rows, as one batch. */
  #dispatch(): void {
    let rows = 0;
    let count = 0;
    while (count < this.#waiting.length && (count === 0 || rows < BATCH_ROWS)) {
      rows += taskRows(this.#waiting[count++].task);
    }
    const batch = this.#waiting.splice(0, count);
    this.#batchesInFlight++;
    this.#request({ kind: "batch", tasks: batch.map((w) => w.task) }).then(
      (reply) => {
        reply.outcomes!.forEach((outcome, i) => {
          if (outcome.ok) batch[i].resolve(outcome.steps);
          else batch[i].reject(new StoreError(outcome.error));
        });
      },
      (error) => {
        for (const waiting of batch) waiting.reject(error);
      },
    ).finally(() => {
      this.#batchesInFlight--;
      this.#flush();
      this.#wakeDrained();
    });
  }

  /** Resolves when no task is waiting or in flight (riders go at once). */
  #drained(): Promise<void> {
    if (this.#riders.length > 0) {
      this.#boardRiders();
      this.#queueFlush();
    }
    if (this.#batchesInFlight === 0 && this.#waiting.length === 0 && !this.#flushQueued) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #wakeDrained(): void {
    if (this.#batchesInFlight > 0 || this.#waiting.length > 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }

  #request(request: ThreadRequest): Promise<ThreadReply & { ok: true }> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#sent.push({ request, resolve, reject });
      this.#worker.postMessage(request);
    });
  }

  #answered(reply: ThreadReply): void {
    const request = this.#sent.shift();
    if (!request) return;
    if (reply.ok) request.resolve(reply);
    else request.reject(new StoreError(reply.error));
  }

  #fail(error: Error): void {
    this.#broken ??= error;
    for (const request of this.#sent.splice(0)) request.reject(error);
    this.#boardRiders();
    for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
    this.#wakeDrained();
  }
}
