/// <reference lib="dom" />
import assert from "node:assert/strict";
import { browserTest, launchBrowser } from "../support/browser.ts";
import { TestNetwork } from "../support/network.ts";

browserTest(
  "a broadcast in the web conversation with one recipient is marked as sent to everyone",
  async () => {
    await using network = await TestNetwork.start();
    const alice = await network.peer("alice", { args: ["--web"] });
    const bob = await network.peer("bob");
    const url = (await alice.waitFor("web")).url;
    await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bob.id });
    await alice.command({ cmd: "broadcast", text: "lunch at noon, everyone?" });
    await alice.waitFor("delivered", { test: (e) => e.to.id === bob.id });
    await alice.command({ cmd: "send", to: "bob", text: "and just for you: cake" });
    await bob.waitFor("message", { test: (e) => e.text === "and just for you: cake" });

    await using browser = await launchBrowser();
    const page = await (await browser.newContext()).newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    const tags = async () =>
      await page.$$eval(
        "#messages li",
        (items) =>
          items.map((li) =>
            `${li.querySelector(".text")?.textContent}|${
              li.querySelector(".broadcast")?.textContent ?? ""
            }`
          ),
      );
    // As rendered on the server for the first paint (the latest conversation: bob's) …
    await page.goto(url);
    await page.locator("#messages li", { hasText: "cake" }).waitFor();
    assert.deepEqual(await tags(), [
      "lunch at noon, everyone?|to everyone",
      "and just for you: cake|",
    ]);
    // … and as the page script draws it after switching conversations.
    await page.click('#contacts li[data-id="*"] button');
    await page.locator("#messages li", { hasText: "lunch at noon" }).waitFor();
    await page.click(`#contacts li[data-id="${bob.id}"] button`);
    await page.locator("#messages li", { hasText: "cake" }).waitFor();
    assert.deepEqual(await tags(), [
      "lunch at noon, everyone?|to everyone",
      "and just for you: cake|",
    ]);
    assert.deepEqual(problems, []);
  },
);
