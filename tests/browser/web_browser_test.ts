/// <reference lib="dom" />
// Functions given to page.waitForFunction run in the page, hence the DOM types.
import assert from "node:assert/strict";
import { artifactPath, browserTest, launchBrowser } from "../support/browser.ts";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";

browserTest(
  "two chat windows: live messages, delivered and read ticks, offline, pending, then delivered",
  async () => {
    await using dir = await tempDir();
    await using registry = await RegistryProcess.start();
    const start = (name: string) =>
      PeerProcess.start(name, {
        registry: registry.address,
        dataDir: `${dir.path}/${name}`,
        args: ["--web"],
      });
    await using alice = await start("alice");
    let bob = await start("bob");
    try {
      const aliceUrl = (await alice.waitFor("web")).url;
      const bobUrl = (await bob.waitFor("web")).url;
      await using browser = await launchBrowser();
      const aliceContext = await browser.newContext({ viewport: { width: 1100, height: 720 } });
      const bobContext = await browser.newContext({ viewport: { width: 1100, height: 720 } });
      const pa = await aliceContext.newPage();
      const pb = await bobContext.newPage();
      const problems: string[] = [];
      let loads = 0;
      for (const page of [pa, pb]) {
        page.on("pageerror", (error) => problems.push(error.message));
        page.on("load", () => loads++);
      }
      await pa.goto(aliceUrl);
      await pb.goto(bobUrl);
      assert.ok(!pa.url().includes("launch="), "the secret is dropped from the address bar");

      // Alice picks bob and writes; bob's window shows it without a reload.
      await pa.click(`#contacts li[data-id="${bob.id}"] button`);
      await pb.click(`#contacts li[data-id="${alice.id}"] button`);
      await pa.fill("#text", "Hello Bob, from a browser window");
      await pa.press("#text", "Enter");
      const sent = pa.locator("#messages li.mine").last();
      await pb.locator("#messages li.theirs", { hasText: "Hello Bob, from a browser window" })
        .waitFor();
      // Delivered, then read: bob's window is showing the conversation.
      await pa.waitForSelector(
        '#messages li.mine:is([data-status="delivered"],[data-status="read"])',
      );
      await pa.waitForSelector('#messages li.mine[data-status="read"]');
      assert.equal(await sent.locator(".status").innerText(), "✓✓");

      // Shift-Enter makes a new line; Enter sends.
      await pb.fill("#text", "Hi Alice!");
      await pb.press("#text", "Shift+Enter");
      await pb.type("#text", "Two lines.");
      await pb.press("#text", "Enter");
      await pa.locator("#messages li.theirs", { hasText: "Two lines." }).waitFor();
      assert.equal(
        await pa.locator("#messages li.theirs .text").last().innerText(),
        "Hi Alice!\nTwo lines.",
      );
      await pa.screenshot({ path: await artifactPath("web-alice.png") });
      await pb.screenshot({ path: await artifactPath("web-bob.png") });

      // Bob goes away: alice sees him offline, and a message to him waits.
      assert.equal(await bob.quit(), 0);
      await bob[Symbol.asyncDispose]();
      await pa.waitForSelector(`#contacts li[data-id="${bob.id}"][data-online="false"]`);
      await pa.waitForFunction(() =>
        document.getElementById("presence")?.textContent === "offline"
      );
      await pa.fill("#text", "Are you still there?");
      await pa.press("#text", "Enter");
      const waiting = pa.locator("#messages li.mine", { hasText: "Are you still there?" });
      await pa.waitForSelector('#messages li.mine[data-status="pending"] .status');
      assert.equal(await waiting.getAttribute("data-status"), "pending");
      await pa.waitForSelector(`#contacts li[data-id="${bob.id}"] .badge.pending:not([hidden])`);
      await pa.screenshot({ path: await artifactPath("web-alice-pending.png") });

      // Bob comes back (same data directory): the waiting message is delivered.
      bob = await start("bob");
      await pa.waitForSelector(`#contacts li[data-id="${bob.id}"][data-online="true"]`);
      await pa.waitForFunction(() =>
        [...document.querySelectorAll("#messages li.mine")].some((li) =>
          li.textContent?.includes("Are you still there?") &&
          ["delivered", "read"].includes((li as HTMLElement).dataset.status ?? "")
        )
      );
      await bob.waitFor("message", { test: (e) => e.text === "Are you still there?" });

      // A phone-sized window shows the same conversation.
      const phone = await browser.newContext({
        viewport: { width: 390, height: 760 },
        colorScheme: "dark",
      });
      const pp = await phone.newPage();
      // The first address was used; alice printed a fresh one.
      const next = await alice.waitFor("web", { test: (e) => e.url !== aliceUrl });
      await pp.goto(next.url.replace("/?launch=", `/?with=${bob.id}&launch=`));
      await pp.locator("#messages li", { hasText: "Hello Bob, from a browser window" }).waitFor();
      await pp.screenshot({ path: await artifactPath("web-phone.png") });

      assert.equal(loads, 2, "the two windows never reloaded");
      assert.deepEqual(problems, [], "no script errors in the pages");
    } finally {
      await bob[Symbol.asyncDispose]();
    }
  },
);
