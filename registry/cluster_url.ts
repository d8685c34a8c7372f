/** Reading and printing the `--cluster` URL (never with its password). */

/** Prints a cluster URL without its password. */
export function redactedClusterUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(unreadable URL)";
  }
}

/**
 * Checks a cluster URL: `redis://` or `rediss://`, a host, an optional port
 * and database number. Returns a message saying what is wrong, or undefined.
 */
export function clusterUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "not a URL; use redis://[user:pass@]host:port[/db]";
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    return `scheme ${JSON.stringify(parsed.protocol)} is not redis: or rediss:`;
  }
  if (parsed.hostname === "") return "the host is missing; use redis://host:port";
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db)) {
    return `database ${JSON.stringify(db)} is not a number from 0 to 99`;
  }
  if (parsed.search || parsed.hash) return "query strings and fragments are not used";
  return undefined;
}
