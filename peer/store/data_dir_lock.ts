/**
 * One peer per data directory: two processes sharing an identity would
 * replace each other's registration back and forth, and share one outbox.
 */

/** Another process holds the data directory. */
export class DataDirBusyError extends Error {
  constructor(dataDir: string) {
    super(`Another peer is already running with the data directory ${dataDir}`);
    this.name = this.constructor.name;
  }
}

/** The data directory cannot be created or used (a file is in the way, no permission, …). */
export class DataDirError extends Error {
  readonly dataDir: string;
  /** What is wrong, fit to follow the directory's name. */
  readonly problem: string;

  constructor(dataDir: string, problem: string, options?: ErrorOptions) {
    super(`Cannot use the data directory ${dataDir}: ${problem}`, options);
    this.name = this.constructor.name;
    this.dataDir = dataDir;
    this.problem = problem;
  }
}

/** An exclusive lock on `DIR/lock`, released by closing. */
export class DataDirLock implements Disposable {
  readonly #file: Deno.FsFile;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /**
   * Creates the directory if need be and takes the lock without waiting.
   * Throws {@linkcode DataDirBusyError} if it is held, {@linkcode DataDirError}
   * if the directory cannot be created or written.
   */
  static async acquire(dataDir: string): Promise<DataDirLock> {
    let file: Deno.FsFile;
    try {
      await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
      file = await Deno.open(`${dataDir}/lock`, { create: true, write: true, mode: 0o600 });
    } catch (error) {
      throw dataDirError(dataDir, error);
    }
    if (!await file.tryLock(true)) {
      file.close();
      throw new DataDirBusyError(dataDir);
    }
    return new DataDirLock(file);
  }

  /** Releases the lock (the operating system also does when the process dies). */
  release(): void {
    try {
      this.#file.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** Why creating or opening in `dataDir` failed, said for a person; other errors pass through. */
function dataDirError(dataDir: string, error: unknown): unknown {
  if (error instanceof Deno.errors.AlreadyExists) {
    return new DataDirError(dataDir, "it is a file, not a directory", { cause: error });
  }
  if (error instanceof Deno.errors.NotADirectory) {
    return new DataDirError(dataDir, "part of that path is a file, not a directory", {
      cause: error,
    });
  }
  const osError = error instanceof Error && /\(os error \d+\)/.test(error.message);
  if (
    error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.IsADirectory || osError
  ) {
    // Deno appends the call (": mkdir '/proc/nope'"); the directory is named already.
    const reason = (error as Error).message.replace(/: \w+ '[^']*'$/, "");
    return new DataDirError(dataDir, `it cannot be created or written: ${reason}`, {
      cause: error,
    });
  }
  return error;
}
