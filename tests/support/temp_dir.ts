/** Temporary directories that remove themselves (`await using`). */

/** A fresh directory, deleted with everything in it on dispose. */
export async function tempDir(
  prefix = "p2pchat-test-",
): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
