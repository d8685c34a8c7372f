/// <reference lib="dom" />
/**
 * The chat window's secret stays with its tab. A browser that opened the
 * chat then visits another local server (another port of the same host,
 * where cookies would follow): that server receives nothing that lets it read
 * or send, even when it replays everything it received.
 */
import assert from "node:assert/strict";
import { browserTest, launchBrowser } from "../support/browser.ts";
import { TestNetwork } from "../support/network.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

interface Received {
  method: string;
  url: string;
  headers: [string, string][];
  body: string;
}

/** A server on another local port that records every request a browser makes to it. */
function strangerServer(chatOrigin: string) {
  const received: Received[] = [];
  // The page it serves also tries to use the chat from its own origin.
  const page = `<!doctype html><html lang="en"><title>elsewhere</title>
<img src="${chatOrigin}/api/state" alt="">
<form id="f" method="post" action="${chatOrigin}/send" target="sink">
<input name="to" value="*"><input name="text" value="forged form"></form>
<iframe name="sink" title="sink"></iframe>
<script>
fetch("${chatOrigin}/api/send", { method: "POST", mode: "no-cors", credentials: "include",
  body: JSON.stringify({ to: "*", text: "forged fetch" }) }).catch(() => {});
fetch("${chatOrigin}/api/state", { credentials: "include" }).catch(() => {});
document.getElementById("f").submit();
</script></html>`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    received.push({
      method: req.method,
      url: req.url,
      headers: [...req.headers],
      body: await req.text(),
    });
    return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
  return { server, received, port: server.addr.port };
}

browserTest(
  "a server on another port that the chat's browser visits gets nothing that reads or sends",
  async () => {
    await using net = await TestNetwork.start();
    await using alice = await net.peer("alice", { args: ["--web"] });
    await using bob = await net.peer("bob");
    await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");
    const launchUrl = (await alice.waitFor("web")).url;
    const chatOrigin = new URL(launchUrl).origin;
    const launchSecret = new URL(launchUrl).searchParams.get("launch")!;
    const stranger = strangerServer(chatOrigin);
    try {
      await using browser = await launchBrowser();
      const context = await browser.newContext();
      const chat = await context.newPage();
      await chat.goto(launchUrl);
      await chat.waitForSelector("body[data-live=true]");
      await chat.click(`#contacts [data-id="${bob.id}"]`);
      await chat.fill("#text", "the real one");
      await chat.press("#text", "Enter");
      await bob.waitFor("message", { test: (e) => e.text === "the real one" });
      const session = await chat.evaluate(() => sessionStorage.getItem("p2pchat-session"));
      assert.ok(session, "the tab keeps its session token");

      // The same browser visits the other server, under both local names, in a
      // new tab and in the chat's own tab; its page tries to use the chat.
      const other = await context.newPage();
      for (const host of ["127.0.0.1", "localhost"]) {
        await other.goto(`http://${host}:${stranger.port}/`);
        await other.waitForLoadState("networkidle");
      }
      await chat.goto(`http://127.0.0.1:${stranger.port}/from-chat-tab`);
      await chat.waitForLoadState("networkidle");
      // Typing the chat's address (no secret) in that tab brings the chat back from sessionStorage.
      await chat.goto(`${chatOrigin}/?with=${bob.id}`);
      await chat.waitForSelector("body[data-live=true]");
      await chat.locator("#messages li", { hasText: "the real one" }).waitFor();

      assert.ok(stranger.received.length >= 3, "the other server was visited");
      for (const request of stranger.received) {
        const everything = JSON.stringify(request);
        assert.ok(!everything.includes(session), `no session token in ${request.url}`);
        assert.ok(!everything.includes(launchSecret), `no launch secret in ${request.url}`);
        assert.ok(!request.headers.some(([name]) => name === "cookie"), "no cookie at all");
        assert.ok(!request.headers.some(([name]) => name === "authorization"));
      }

      // Replaying everything it received, as the chat's own origin, reads and sends nothing.
      const mark = alice.mark();
      for (const request of stranger.received) {
        const headers = new Headers(request.headers);
        headers.set("origin", chatOrigin);
        headers.delete("host");
        const json = "application/json";
        const form = "application/x-www-form-urlencoded";
        const attempts: [string, string, string?, string?][] = [
          ["GET", "/"],
          ["GET", "/api/state"],
          ["GET", "/api/events"],
          ["GET", `/api/conversation/${bob.id}`],
          ["POST", "/api/send", json, JSON.stringify({ to: bob.id, text: "replayed" })],
          ["POST", "/", form, new URLSearchParams({ with: bob.id }).toString()],
          ["POST", "/send", form, new URLSearchParams({ to: bob.id, text: "replayed" }).toString()],
        ];
        for (const [method, path, type, body] of attempts) {
          if (type) headers.set("content-type", type);
          const response = await fetch(`${chatOrigin}${path}`, { method, headers, body });
          const text = await response.text();
          assert.equal(response.status, 401, `${method} ${path} replayed`);
          assert.ok(!text.includes("the real one"), `${method} ${path} shows no message`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        alice.events.slice(mark).filter((e) => e.event === "sent" || e.event === "pending"),
        [],
        "nothing was sent",
      );
      assert.equal(bob.all("message").length, 1, "bob got only the real message");

      // The chat's own tab still works after a reload.
      await chat.reload();
      await chat.waitForSelector("body[data-live=true]");
      assert.ok(!chat.url().includes("launch="));
      await chat.locator("#messages li", { hasText: "the real one" }).waitFor();
      // Another tab of the same browser has no session: it sees the locked page.
      const locked = await context.newPage();
      assert.equal((await locked.goto(`${chatOrigin}/`))?.status(), 401);
      await locked.waitForTimeout(300);
      assert.match(await locked.locator("h1").innerText(), /locked/);
      // The printed address was used: opened again (in another tab), it opens nothing.
      const again = await context.newPage();
      const response = await again.goto(launchUrl);
      assert.equal(response?.status(), 401);
      assert.match(await again.locator("h1").innerText(), /locked/);
    } finally {
      await stranger.server.shutdown();
    }
  },
);

browserTest(
  "without JavaScript the window works through forms that carry the tab's token",
  async () => {
    await using net = await TestNetwork.start();
    await using alice = await net.peer("alice", { args: ["--web"] });
    await using bob = await net.peer("bob");
    await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");
    await using browser = await launchBrowser();
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto((await alice.waitFor("web")).url);
    await page.click(`#contacts [data-id="${bob.id}"] button`);
    assert.equal(await page.locator("#title").innerText(), "bob");
    await page.fill("#text", "no script needed");
    await page.click("#compose button[type=submit]");
    await bob.waitFor("message", { test: (e) => e.text === "no script needed" });
    await page.locator("#messages li.mine", { hasText: "no script needed" }).waitFor();
    // A reload re-posts the form: the page comes back, the message is not sent twice.
    page.on("dialog", (dialog) => dialog.accept());
    await page.reload();
    await page.locator("#messages li.mine", { hasText: "no script needed" }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(bob.all("message").length, 1);
    assert.ok(!page.url().includes("launch="), "the form posts leave the secret behind");
  },
);
