/**
 * The store's own thread: one SQLite connection (`node:sqlite`, whose calls
 * block) that runs whatever the peer's thread sends it. Each `batch` is one
 * transaction holding many tasks — everything that queued up while the
 * previous commit was on its way to the disk — and is answered only after
 * its COMMIT returned, that is, after the fsync. A task that fails is rolled
 * back to its own savepoint; the others in the batch still commit.
 *
 * {@linkcode sqliteThread} is started from its source text as a `data:` URL
 * (see `sqlite_connection.ts`), so the same code runs from the sources, from
 * the bundle and from a compiled executable. That is why it must stay
 * self-contained: no imports (type imports vanish), nothing from outside the
 * function body, no helpers a bundler might hoist.
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";

/** A value SQLite stores or returns. */
export type SqlValue = null | number | bigint | string | Uint8Array;

/** A row as SQLite returns it, by column name. */
export type SqlRow = Record<string, SqlValue>;

/**
 * One statement, run once per `width` parameters: `params` holds every run's
 * parameters one after another (a flat array is three times cheaper to pass
 * between threads than an array per run). `width` 0 runs it once, bare.
 */
export interface SqlStep {
  sql: string;
  width: number;
  params: SqlValue[];
  /** `rows`: the rows it returns (SELECT, RETURNING), all runs concatenated; `changes`: rows changed per run. */
  returns: "rows" | "changes";
}

/** What one step produced. */
export type StepResult = SqlRow[] | number[];

/** What one task (a list of steps, atomic) produced. */
export type TaskOutcome = { ok: true; steps: StepResult[] } | { ok: false; error: string };

/** A message to the thread. Each gets exactly one {@linkcode ThreadReply}, in order. */
export type ThreadRequest =
  | { kind: "open"; path: string }
  | { kind: "exec"; sql: string }
  | { kind: "batch"; tasks: SqlStep[][] }
  | { kind: "close" };

/** The answer to one {@linkcode ThreadRequest}. */
export type ThreadReply =
  | { ok: true; outcomes?: TaskOutcome[] }
  | { ok: false; error: string };

/** The thread's body. Runs in a worker; see the module doc for its constraints. */
export function sqliteThread(): void {
  interface Scope {
    onmessage: ((event: MessageEvent<ThreadRequest>) => void) | null;
    postMessage(reply: ThreadReply): void;
    close(): void;
  }
  const scope = self as unknown as Scope;
  const loading = import("node:sqlite");
  let db: DatabaseSync | undefined;
  const statements = new Map<string, StatementSync>();

  function prepared(sql: string): StatementSync {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db!.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  }

  function runTask(task: SqlStep[]): StepResult[] {
    const results: StepResult[] = [];
    for (const { sql, width, params, returns } of task) {
      const statement = prepared(sql);
      const runs = width === 0 ? 1 : params.length / width;
      const args: SqlValue[] = new Array(width);
      const rows: SqlRow[] = [];
      const changes: number[] = [];
      for (let run = 0, at = 0; run < runs; run++) {
        for (let i = 0; i < width; i++) args[i] = params[at++];
        if (returns === "rows") {
          for (const row of statement.all(...args)) rows.push(row as SqlRow);
        } else {
          changes.push(Number(statement.run(...args).changes));
        }
      }
      results.push(returns === "rows" ? rows : changes);
    }
    return results;
  }

  function message(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
  }

  function runBatch(tasks: SqlStep[][]): TaskOutcome[] {
    const outcomes: TaskOutcome[] = [];
    db!.exec("BEGIN");
    try {
      if (tasks.length === 1) {
        // The transaction itself is the task's rollback point.
        outcomes.push({ ok: true, steps: runTask(tasks[0]) });
      } else {
        for (const task of tasks) {
          db!.exec("SAVEPOINT task");
          try {
            outcomes.push({ ok: true, steps: runTask(task) });
            db!.exec("RELEASE task");
          } catch (error) {
            db!.exec("ROLLBACK TO task");
            db!.exec("RELEASE task");
            outcomes.push({ ok: false, error: message(error) });
          }
        }
      }
      db!.exec("COMMIT");
    } catch (error) {
      if (db!.isTransaction) db!.exec("ROLLBACK");
      return tasks.map(() => ({ ok: false, error: message(error) }));
    }
    return outcomes;
  }

  async function answer(request: ThreadRequest): Promise<ThreadReply> {
    switch (request.kind) {
      case "open": {
        const { DatabaseSync } = await loading;
        db = new DatabaseSync(request.path);
        return { ok: true };
      }
      case "exec":
        db!.exec(request.sql);
        return { ok: true };
      case "batch":
        return { ok: true, outcomes: runBatch(request.tasks) };
      case "close":
        statements.clear();
        db?.close();
        db = undefined;
        return { ok: true };
    }
  }

  scope.onmessage = (event) => {
    answer(event.data).then(
      (reply) => scope.postMessage(reply),
      (error) => scope.postMessage({ ok: false, error: message(error) }),
    );
  };
}
