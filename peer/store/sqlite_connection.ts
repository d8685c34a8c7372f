/**
 * The peer's side of the store thread (`sqlite_thread.ts`): it owns the
 * worker, and turns calls into group commits. At most one batch is at the
 * thread at a time; every task submitted meanwhile waits here and goes in
 * the next batch, as one transaction. So a burst costs one fsync, a lone
 * message costs one fsync without waiting for company, and nothing is
 * answered before its commit is on disk.
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
  #flushQueued = false;
  #batchInFlight = false;
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
      this.#waiting.push({ task, resolve, reject });
      this.#queueFlush();
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

  // Same-turn calls share a batch: the flush waits for the current
  // microtasks, and for the batch in flight.
  #queueFlush(): void {
    if (this.#flushQueued || this.#batchInFlight) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#batchInFlight || this.#waiting.length === 0) return;
    const batch = this.#waiting;
    this.#waiting = [];
    this.#batchInFlight = true;
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
      this.#batchInFlight = false;
      this.#flush();
      this.#wakeDrained();
    });
  }

  /** Resolves when no task is waiting or in flight. */
  #drained(): Promise<void> {
    if (!this.#batchInFlight && this.#waiting.length === 0 && !this.#flushQueued) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #wakeDrained(): void {
    if (this.#batchInFlight || this.#waiting.length > 0) return;
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
    for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
    this.#wakeDrained();
  }
}
