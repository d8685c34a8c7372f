/// <reference lib="dom" />
// Functions given to page.waitForFunction run in the page, hence the DOM types.
/**
 * Bugs people met in the chat window, each reproduced in a real Chromium:
 * every test here failed before its fix.
 */
import assert from "node:assert/strict";
import { browserTest, launchBrowser } from "../support/browser.ts";
import { TestNetwork } from "../support/network.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

browserTest(
  "the header shows the ID of the conversation on screen, not the first contact's",
  async () => {
    await using net = await TestNetwork.start();
    await using alice = await net.peer("alice", { args: ["--web"] });
    await using bob = await net.peer("bob");
    await using dave = await net.peer("dave");
    await waitUntil(() => knownPeers(alice).length === 2, "alice to see bob and dave");
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto((await alice.waitFor("web")).url);
    await page.click(`#contacts [data-id="${bob.id}"]`);
    await page.waitForFunction(
      (id) => document.querySelector(".peer-id")?.textContent === id,
      bob.id.slice(0, 8),
    );
    await page.click(`#contacts [data-id="${dave.id}"]`);
    await page.waitForFunction(() => document.getElementById("title")?.textContent === "dave");
    assert.equal(await page.locator(".peer-id").innerText(), dave.id.slice(0, 8));
    assert.equal(await page.locator(".peer-id").getAttribute("title"), dave.id);
    await page.click(`#contacts [data-id="*"]`);
    await page.waitForFunction(() => document.getElementById("title")?.textContent === "Everyone");
    assert.equal(await page.locator(".peer-id").isVisible(), false, "the room has no peer ID");
  },
);

browserTest(
  "a window opened after a key change warns, offers Trust, and delivers once trusted",
  async () => {
    await using net = await TestNetwork.start();
    await using alice = await net.peer("alice", { args: ["--web"] });
    const original = await net.peer("bob", { dataDir: "bob-1" });
    await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see the first bob");
    assert.equal(await original.quit(), 0);
    await alice.waitFor("peer_left");
    await using newcomer = await net.peer("bob", { dataDir: "bob-2" });
    await alice.waitFor("key_changed");

    // Only now is the window opened: it must know what the peer knows.
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto((await alice.waitFor("web")).url);
    const banner = page.locator('[data-key-change="bob"]');
    await banner.waitFor();
    assert.match(await banner.innerText(), new RegExp(newcomer.id.slice(0, 8)));
    await page.click(`#contacts [data-id="${newcomer.id}"]`);
    await page.fill("#text", "is that really you?");
    await page.press("#text", "Enter");
    await page.waitForSelector('#messages li.mine[data-status="pending"]');
    await banner.locator("button").click();
    await newcomer.waitFor("message", { test: (e) => e.text === "is that really you?" });
    await page.waitForSelector(
      '#messages li.mine:is([data-status="delivered"],[data-status="read"])',
    );
    await banner.waitFor({ state: "detached" });
  },
);

browserTest(
  "a message delivered before its send request returns is shown delivered, not waiting",
  async () => {
    await using net = await TestNetwork.start();
    await using alice = await net.peer("alice", { args: ["--web"] });
    await using bob = await net.peer("bob");
    await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    // A slow network: the answer to a send arrives after the live stream said "delivered".
    await page.route("**/api/send", async (route) => {
      const response = await route.fetch();
      const { id } = await response.json();
      await alice.waitFor("delivered", { test: (e) => e.id === id });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await route.fulfill({ response });
    });
    await page.goto((await alice.waitFor("web")).url);
    await page.click(`#contacts [data-id="${bob.id}"]`);
    for (const text of ["one", "two", "three"]) {
      await page.fill("#text", text);
      await page.press("#text", "Enter");
      await page.locator("#messages li.mine", { hasText: text }).waitFor();
    }
    await bob.waitFor("message", { test: (e) => e.text === "three" });
    // Bob has no window open, so nothing is ever read: "delivered" is the last word.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>("#messages li.mine")].every((li) =>
          li.dataset.status === "delivered"
        ),
      undefined,
      { timeout: 5000 },
    );
    assert.deepEqual(
      await page.locator("#messages li.mine .status").allInnerTexts(),
      ["✓", "✓", "✓"],
    );
  },
);

browserTest("the window opens on the most recent conversation", async () => {
  await using net = await TestNetwork.start();
  await using alice = await net.peer("alice", { args: ["--web"] });
  await using bob = await net.peer("bob");
  await using carol = await net.peer("carol");
  await waitUntil(() => knownPeers(alice).length === 2, "alice to see bob and carol");
  await bob.command({ cmd: "send", to: "alice", text: "older, from bob" });
  await alice.waitFor("message", { test: (e) => e.text === "older, from bob" });
  await carol.command({ cmd: "send", to: "alice", text: "newest, from carol" });
  await alice.waitFor("message", { test: (e) => e.text === "newest, from carol" });
  await using browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto((await alice.waitFor("web")).url);
  assert.equal(await page.locator("#title").innerText(), "carol");
  await page.locator("#messages li", { hasText: "newest, from carol" }).waitFor();
});
