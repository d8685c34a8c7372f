/// <reference lib="dom" />
// Functions given to page.waitForFunction run in the page, hence the DOM types.
/**
 * Rooms in a real Chromium: the chat window lists alice's rooms with unread
 * badges (drawn by the server for the first paint, then kept live), opens a
 * room with each message under its author, posts to every member from the
 * compose box, shows a room it is invited to without a reload, and loads a
 * room's older messages when scrolled up.
 */
import assert from "node:assert/strict";
import { accessibilityViolations } from "../support/axe.ts";
import { artifactPath, browserTest, launchBrowser } from "../support/browser.ts";
import { TestNetwork } from "../support/network.ts";
import { waitUntil } from "../support/wait.ts";

browserTest("the web window lists rooms with unread badges and posts to a room", async () => {
  await using network = await TestNetwork.start();
  const alice = await network.peer("alice", { args: ["--web"] });
  const bob = await network.peer("bob");
  const carol = await network.peer("carol");
  const url = (await alice.waitFor("web")).url;
  await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "carol" });
  await alice.command({ cmd: "room_create", name: "team", members: ["bob", "carol"] });
  const team = await alice.waitFor("room", { test: (e) => e.name === "team" });
  await bob.waitFor("room", { test: (e) => e.id === team.id });
  await bob.command({ cmd: "room_send", room: "team", text: "Standup moved to 10:00" });
  await alice.waitFor("message", { test: (e) => e.text === "Standup moved to 10:00" });
  await alice.command({ cmd: "send", to: "carol", text: "coffee later?" });
  await carol.waitFor("message", { test: (e) => e.text === "coffee later?" });

  await using browser = await launchBrowser();
  const page = await (await browser.newContext({
    viewport: { width: 1100, height: 720 },
    bypassCSP: true, // for axe-core, injected at the end
  }))
    .newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(url);
  await page.waitForSelector("body[data-live=true]");
  const room = `#contacts li[data-id="room:${team.id}"]`;
  // First paint: the room, with its one unread message (the open conversation is carol's).
  assert.equal(await page.locator(`${room} .name`).textContent(), "team");
  assert.equal(await page.locator(`${room} .sub`).textContent(), "3 members");
  assert.equal(await page.locator(`${room} .badge.unread .count`).textContent(), "1");
  assert.equal(await page.title(), "(1) carol — p2pchat");

  // Live: another post while the room is not on screen raises the badge.
  await carol.command({ cmd: "room_send", room: "team", text: "I'll be late" });
  await page.waitForFunction(
    (selector) => document.querySelector(`${selector} .badge.unread .count`)?.textContent === "2",
    room,
  );
  await page.waitForFunction(() => document.title === "(2) carol — p2pchat");

  // Opening the room: its messages under their authors; the badge and the count go.
  await page.click(`${room} button`);
  await page.waitForFunction(() => document.title === "#team — p2pchat");
  await page.locator("#messages li", { hasText: "I'll be late" }).waitFor();
  const shown = await page.$$eval(
    "#messages li",
    (items) =>
      items.map((li) =>
        `${li.querySelector(".author")?.textContent ?? "me"}: ${
          li.querySelector(".text")?.textContent
        }`
      ),
  );
  assert.deepEqual(shown, ["bob: Standup moved to 10:00", "carol: I'll be late"]);
  assert.equal(await page.locator("#presence").textContent(), "3 members");
  await page.waitForSelector(`${room} .badge.unread[hidden]`, { state: "attached" });

  // The compose box posts to every member.
  await page.fill("#text", "See you both at 10");
  await page.press("#text", "Enter");
  for (const member of [bob, carol]) {
    const got = await member.waitFor("message", { test: (e) => e.text === "See you both at 10" });
    assert.deepEqual(got.room, { id: team.id, name: "team" });
  }
  await page.waitForSelector(
    '#messages li.mine:is([data-status="delivered"],[data-status="read"])',
  );

  // A room alice is invited to appears without a reload, with its badge.
  await carol.command({ cmd: "room_create", name: "lunch", members: ["alice"] });
  const lunch = await alice.waitFor("room", { test: (e) => e.name === "lunch" });
  const lunchItem = `#contacts li[data-id="room:${lunch.id}"]`;
  await page.waitForSelector(lunchItem);
  await carol.command({ cmd: "room_send", room: "lunch", text: "Pizza?" });
  await page.waitForFunction(
    (selector) => document.querySelector(`${selector} .badge.unread .count`)?.textContent === "1",
    lunchItem,
  );
  await page.screenshot({ path: await artifactPath("web-room.png") });
  assert.deepEqual(await accessibilityViolations(page), [], "WCAG 2.2 AA with rooms listed");
  assert.deepEqual(problems, [], "no script errors in the page");
});

browserTest(
  "a room's older messages load as the window scrolls up, in order, each once",
  async () => {
    await using network = await TestNetwork.start();
    const alice = await network.peer("alice", { args: ["--web"] });
    const bob = await network.peer("bob");
    const url = (await alice.waitFor("web")).url;
    await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "bob" });
    await alice.command({ cmd: "room_create", name: "log", members: ["bob"] });
    const log = await alice.waitFor("room", { test: (e) => e.name === "log" });
    await bob.waitFor("room", { test: (e) => e.id === log.id });
    const posts = Array.from({ length: 70 }, (_, i) => `post ${String(i).padStart(2, "0")}`);
    for (const text of posts) await bob.command({ cmd: "room_send", room: "log", text });
    await waitUntil(() => alice.all("message").length === posts.length, "alice to get every post");

    await using browser = await launchBrowser();
    const page = await (await browser.newContext({ viewport: { width: 1000, height: 700 } }))
      .newPage();
    await page.goto(url);
    await page.waitForSelector("body[data-live=true]");
    await page.click(`#contacts li[data-id="room:${log.id}"] button`);
    await page.locator("#messages li", { hasText: "post 69" }).waitFor();
    assert.equal(await page.locator("#messages li").count(), 50, "one page first");
    await page.locator("#messages").evaluate((el) => el.scrollTop = 0);
    await page.locator("#messages li", { hasText: "post 00" }).waitFor();
    const shown = await page.locator("#messages li .text").allTextContents();
    assert.deepEqual(shown, posts);
  },
);
