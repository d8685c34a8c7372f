/// <reference lib="dom" />
import assert from "node:assert/strict";
import { browserTest, launchBrowser } from "../support/browser.ts";
import { TestNetwork } from "../support/network.ts";

browserTest(
  "the chat window says when a recipient takes no more for now, and the message waits",
  async () => {
    await using network = await TestNetwork.start();
    const alice = await network.peer("alice", { args: ["--web"] });
    // Two messages a minute from one sender: the third waits half a minute.
    const bob = await network.peer("bob", { args: ["--sender-messages-per-minute", "2"] });
    const url = (await alice.waitFor("web")).url;
    await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bob.id });

    await using browser = await launchBrowser();
    const page = await (await browser.newContext()).newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(url);
    await page.click(`#contacts li[data-id="${bob.id}"] button`);
    for (const text of ["one", "two", "three, too many"]) {
      await page.fill("#text", text);
      await page.press("#text", "Enter");
      await page.locator("#messages li.mine", { hasText: text }).waitFor();
    }
    const refused = await alice.waitFor("refused");
    assert.equal(refused.reason, "too_many_messages");
    await page.locator("#toast", { hasText: "bob takes no more from you for now" }).waitFor();
    assert.match(
      await page.locator("#toast").innerText(),
      /^bob takes no more from you for now \(too many messages a minute\); waiting messages go again in \d+ s$/,
    );
    const waiting = page.locator("#messages li.mine", { hasText: "three, too many" });
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>("#messages li.mine")].some((li) =>
          li.textContent?.includes("three, too many") && li.dataset.status === "refused"
        ),
    );
    assert.equal(await waiting.locator(".status").innerText(), "◷");
    assert.equal(alice.all("failed").length, 0, "waiting, not failed");
    assert.deepEqual(problems, []);
  },
);
