/** Where a peer keeps its identity and history unless told otherwise. */

/**
 * The per-name data directory under the user's data directory:
 * `$XDG_DATA_HOME/p2pchat/NAME` (default `~/.local/share`) on Linux,
 * `~/Library/Application Support/p2pchat/NAME` on macOS,
 * `%LOCALAPPDATA%\p2pchat\NAME` on Windows.
 */
export function defaultDataDir(
  name: string,
  env: Record<string, string | undefined> = Deno.env.toObject(),
  os: string = Deno.build.os,
): string {
  if (os === "windows") {
    const base = env.LOCALAPPDATA ?? env.APPDATA ?? `${env.USERPROFILE ?? "."}\\AppData\\Local`;
    return `${base}\\p2pchat\\${name}`;
  }
  const home = env.HOME ?? ".";
  if (os === "darwin") return `${home}/Library/Application Support/p2pchat/${name}`;
  return `${env.XDG_DATA_HOME || `${home}/.local/share`}/p2pchat/${name}`;
}
