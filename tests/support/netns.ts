/**
 * Linux network namespaces for tests: running `ip`, wrapping a command so it
 * runs inside a namespace, removing a namespace with whatever still runs in
 * it, and finding out whether this machine can make namespaces at all.
 */

/** Runs `ip ARGS…` (optionally with `stdin`), returning stdout; throws with stderr on failure. */
export async function ip(args: string[], options: { stdin?: string } = {}): Promise<string> {
  return await run("ip", args, options);
}

/** Runs `command` to completion; throws an error naming it and its stderr when it fails. */
export async function run(
  command: string,
  args: string[],
  options: { stdin?: string } = {},
): Promise<string> {
  const child = new Deno.Command(command, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const text = new TextDecoder();
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${output.code}): ${
        text.decode(output.stderr).trim()
      }`,
    );
  }
  return text.decode(output.stdout);
}

/**
 * The command and arguments that run `command ARGS…` inside `netns`.
 * `ip netns exec` execs the command, so the child's PID is the command's own
 * and signals reach it directly.
 */
export function inNetns(netns: string, command: string, args: string[]): [string, string[]] {
  return ["ip", ["netns", "exec", netns, command, ...args]];
}

/** Names of the network namespaces that exist now. */
export async function listNetns(): Promise<string[]> {
  // Lines look like "NAME" or "NAME (id: 3)".
  return (await ip(["netns", "list"])).split("\n").map((line) => line.split(" ")[0]).filter(
    Boolean,
  );
}

/**
 * Kills every process still inside `netns` (by PID), then deletes it; the
 * veth pairs and bridges inside go with it. A namespace already gone is fine.
 */
export async function removeNetns(netns: string): Promise<void> {
  let pids: number[];
  try {
    pids = (await ip(["netns", "pids", netns])).split("\n").filter(Boolean).map(Number);
  } catch {
    return; // already gone
  }
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // exited meanwhile
    }
  }
  await ip(["netns", "del", netns]).catch((error) => {
    if (!/No such file/.test(String(error))) throw error;
  });
}

/** Whether namespace tests can run here, and if not, why. */
export type NetnsSupport = { ok: true } | { ok: false; reason: string };

let support: Promise<NetnsSupport> | undefined;

/**
 * Finds out once whether this process can build a NAT lab: Linux, root, and
 * `ip netns add`, `nft` inside a namespace and `tcpdump` all working. The
 * reason names what is missing, so a skipped test says why in one line.
 */
export function netnsSupport(): Promise<NetnsSupport> {
  support ??= probeSupport();
  return support;
}

async function probeSupport(): Promise<NetnsSupport> {
  if (Deno.build.os !== "linux") {
    return { ok: false, reason: `network namespaces need Linux, this is ${Deno.build.os}` };
  }
  if (Deno.uid() !== 0) {
    return { ok: false, reason: `network namespaces need root; running as uid ${Deno.uid()}` };
  }
  for (
    const [tool, args, pkg] of [
      ["ip", ["-V"], "iproute2"],
      ["nft", ["--version"], "nftables"],
      ["tcpdump", ["--version"], "tcpdump"],
    ] as const
  ) {
    try {
      await run(tool, [...args]);
    } catch (error) {
      return { ok: false, reason: `${tool} is not usable (apt-get install ${pkg}): ${error}` };
    }
  }
  const probe = `p2plab-${Deno.pid}-probe`;
  try {
    await ip(["netns", "add", probe]);
    await ip(["netns", "exec", probe, "nft", "list", "ruleset"]);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `cannot make a network namespace: ${error}` };
  } finally {
    await removeNetns(probe).catch(() => {});
  }
}

/**
 * For test files: whether to skip namespace tests. Skips (with one line
 * saying why) only outside CI; CI installs the tools, so there the tests run
 * and fail loudly if the lab cannot be built.
 */
export async function skipNetnsTests(): Promise<boolean> {
  const found = await netnsSupport();
  if (found.ok || Deno.env.get("CI")) return false;
  if (!warned) console.warn(`NAT lab tests skipped: ${found.reason}`);
  warned = true;
  return true;
}

let warned = false;
