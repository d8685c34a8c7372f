import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";
import { bundlePath } from "../support/bundle.ts";
import { waitUntil } from "../support/wait.ts";

Deno.test("the terminal chat understands its commands and explains mistakes", async () => {
  await using network = await TestNetwork.start();
  const bob = await network.peer("bob");
  const alice = await network.terminalPeer("alice");
  assert.match(
    alice.lines[0],
    /^p2pchat — you are alice \([a-z2-7]{8}\), listening on 127\.0\.0\.1:\d+/,
  );

  let mark = alice.lines.length;
  await alice.writeLine("/peers");
  await alice.waitForOnline(1, mark);
  await alice.waitForLine(
    new RegExp(`^  bob\\s+${bob.id.slice(0, 8)}  127\\.0\\.0\\.1:\\d+$`),
    mark,
  );

  await alice.writeLine("/msg bob hello from the terminal");
  const first = await bob.waitFor("message", { test: (e) => e.text === "hello from the terminal" });
  await alice.waitForLine(/^ {2}✓ "hello from the terminal" delivered to bob$/);
  await alice.writeLine("@bob second");
  await bob.waitFor("message", { test: (e) => e.text === "second" });

  mark = alice.lines.length;
  await alice.writeLine("/chat bob");
  await alice.waitForLine(/chatting with bob/, mark);
  await alice.writeLine("plain line goes to bob");
  await bob.waitFor("message", { test: (e) => e.text === "plain line goes to bob" });

  mark = alice.lines.length;
  await alice.writeLine("/frobnicate");
  await alice.waitForLine(/^! Unknown command \/frobnicate; type \/help for the list$/, mark);
  await alice.writeLine("/msg nobody hi");
  await alice.waitForLine(/^! No peer named "nobody" is known/, mark);

  // An incoming message is shown, and showing it sends a read receipt.
  await bob.command({ cmd: "send", to: "alice", text: "can you read this?" });
  await alice.waitForLine(/^\d\d:\d\d bob: can you read this\?$/);
  const incoming = await bob.waitFor("delivered");
  await bob.waitFor("read", { test: (e) => e.id === incoming.id });

  mark = alice.lines.length;
  await alice.writeLine("/history bob");
  await alice.waitForLine(/^\* history with bob:$/, mark);
  await alice.waitForLine(/you: hello from the terminal ✓/, mark);
  assert.ok(first.from.name === "alice");

  await alice.writeLine("/quit");
  assert.equal((await alice.exited).code, 0);
  await bob.waitFor("peer_left", { test: (e) => e.reason === "bye" });
});

const hasScript = (() => {
  try {
    return Deno.statSync("/usr/bin/script").isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "a message arriving while the user types is printed above the prompt, and the typed text survives",
  // `script` (util-linux) gives the peer a real pseudo-terminal.
  ignore: !hasScript || Deno.build.os !== "linux",
  async fn() {
    await using network = await TestNetwork.start();
    const bob = await network.peer("bob");
    const command = [
      Deno.execPath(),
      "run",
      "--allow-all",
      await bundlePath(),
      "peer",
    ]
      .concat(["--name", "alice", "--registry", network.registry.address])
      .concat(["--data-dir", `${network.dir}/alice`])
      .map((arg) => `'${arg}'`).join(" ");
    const child = new Deno.Command("script", {
      args: ["-qfec", command, "/dev/null"],
      env: { NO_COLOR: "1", TERM: "xterm" },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const output = collect(child.stdout);
    const keyboard = child.stdin.getWriter();
    const type = (text: string) => keyboard.write(new TextEncoder().encode(text));
    try {
      await bob.waitFor("peer_joined", { test: (e) => e.peer.name === "alice" });
      await waitUntil(() => output.text.includes("registered with"), "alice to register");
      await type("half a thou");
      await waitUntil(() => output.text.includes("half a thou"), "the typed text to echo");
      await bob.command({ cmd: "send", to: "alice", text: "interrupting!" });
      await waitUntil(() => output.text.includes("interrupting!"), "the message to show");
      await waitUntil(
        () => /> half a thou/.test(output.text.slice(output.text.indexOf("interrupting!"))),
        "the prompt to be redrawn",
      );
      await type("ght\r/quit\r");
      assert.equal((await child.status).code, 0);
      // The message sits on its own line, and the input line came back whole.
      // Strip the terminal control sequences (ESC [ … letter) readline draws with.
      const screen = output.text.replace(new RegExp("\u001b\\[[0-9;]*[A-Za-z]", "g"), "");
      assert.match(screen, /\d\d:\d\d bob: interrupting!\r?\n/);
      assert.match(screen.slice(screen.indexOf("interrupting!")), /> half a thou/);
      assert.match(screen, /Not sent: pick who gets it/); // "half a thought" had no recipient
    } finally {
      await keyboard.close().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await output.done;
    }
  },
});

function collect(stream: ReadableStream<Uint8Array>): { text: string; done: Promise<void> } {
  const sink = { text: "", done: Promise.resolve() };
  sink.done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) sink.text += decoder.decode(chunk, { stream: true });
  })();
  return sink;
}
