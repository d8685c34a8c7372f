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

/** An exclusive lock on `DIR/lock`, released by closing. */
export class DataDirLock implements Disposable {
  readonly #file: Deno.FsFile;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Takes the lock without waiting; throws {@linkcode DataDirBusyError} if it is held. */
  static async acquire(dataDir: string): Promise<DataDirLock> {
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const file = await Deno.open(`${dataDir}/lock`, { create: true, write: true, mode: 0o600 });
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
