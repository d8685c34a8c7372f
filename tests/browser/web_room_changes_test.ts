/// <reference lib="dom" />
// Functions given to page.waitForFunction run in the page, hence the DOM types.
/**
 * Making and changing rooms from the chat window, in a real Chromium, by the
 * terminal's rules (they are the peer's own room commands): "New room" makes
 * a room of the contacts ticked and opens it; only its creator is offered
 * Invite, and the API refuses anyone else as /room invite does; Leave takes
 * the member out (the creator signs it) and the window back to Everyone. A
 * name or text that looks like HTML stays text. Without JavaScript the same
 * forms post, and a reload does not make a room twice.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { violationsInBothSchemes } from "../support/axe.ts";
import { artifactPath, browserTest, launchBrowser } from "../support/browser.ts";
import { TestNetwork } from "../support/network.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

const HOSTILE = '<img src=x onerror="document.title=1">';

/** The names ticked off in a pick list, as the page shows them. */
async function pickNames(page: Page, form: string): Promise<string[]> {
  return await page.locator(`${form} .pick .pick-name`).allTextContents();
}

browserTest(
  "the web window makes a room, invites to it as its creator only, and leaves one",
  async () => {
    await using net = await TestNetwork.start();
    const alice = await net.peer("alice", { args: ["--web"] });
    const bob = await net.peer("bob");
    const carol = await net.peer("carol");
    const url = (await alice.waitFor("web")).url;
    await waitUntil(() => knownPeers(alice).length === 2, "alice to see bob and carol");

    await using browser = await launchBrowser();
    const page = await (await browser.newContext({
      viewport: { width: 1100, height: 760 },
      bypassCSP: true, // for axe-core
    })).newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    const violations: string[] = [];
    const check = async (where: string) =>
      violations.push(...await violationsInBothSchemes(page, where));
    await page.goto(url);
    await page.waitForSelector("body[data-live=true]");

    // New room: a name that breaks the name rule is refused with the terminal's words, as text.
    await page.click("#new-room summary");
    assert.deepEqual((await pickNames(page, "#new-room")).sort(), ["bob", "carol"]);
    await page.fill("#room-name", HOSTILE);
    await page.check('#new-room input[name="member"][value="' + bob.id + '"]');
    await page.click('#new-room button[type="submit"]');
    const refusal = page.locator("#new-room .form-error");
    await refusal.filter({ hasText: "is not allowed" }).waitFor();
    assert.match(
      (await refusal.textContent())!,
      /^Room name "<img src=x onerror=.*" is not allowed/,
    );
    assert.equal(await page.locator("img").count(), 0, "the name stayed text");
    assert.equal(alice.all("room").length, 0, "no room was made");
    await page.screenshot({ path: await artifactPath("web-new-room.png") });
    await check("the New room form, with its refusal");

    // A good name: the room is made of alice and bob, signed by alice, and opens.
    await page.fill("#room-name", "design");
    await page.click('#new-room button[type="submit"]');
    await page.waitForFunction(() => document.title === "#design — p2pchat");
    const design = await alice.waitFor("room", { test: (e) => e.name === "design" });
    assert.deepEqual(design.members.map((m) => m.name), ["alice", "bob"]);
    assert.equal(design.creator.name, "alice");
    await bob.waitFor("room", { test: (e) => e.id === design.id });
    assert.equal(await page.locator("#new-room").getAttribute("open"), null, "the form closed");
    const members = page.locator("#room-panel .room-members");
    assert.equal(await members.textContent(), "Members: you (creator), bob");
    assert.equal(await page.locator("#presence").textContent(), "2 members");
    assert.equal(await page.locator("#no-messages").textContent(), "No messages yet.");

    // Invite, offered to the creator: whoever is not in yet.
    await page.click("#room-invite summary");
    assert.deepEqual(await pickNames(page, "#room-invite"), ["carol"]);
    await page.screenshot({ path: await artifactPath("web-room-invite.png") });
    await check("a room with Invite open");
    await page.check(`#room-invite input[value="${carol.id}"]`);
    await page.click('#room-invite button[type="submit"]');
    await carol.waitFor("room", { test: (e) => e.id === design.id && e.members.length === 3 });
    await page.waitForFunction(() =>
      document.querySelector("#room-panel .room-members")?.textContent ===
        "Members: you (creator), bob, carol"
    );
    assert.ok(await page.locator("#room-invite").isHidden(), "nobody is left to invite");

    // A post that looks like HTML is text, in the room it was posted to.
    await carol.command({ cmd: "room_send", room: design.id, text: "<b>bold</b> claim" });
    await page.locator("#messages li", { hasText: "<b>bold</b> claim" }).waitFor();
    assert.equal(await page.locator("#messages b").count(), 0);
    // A file goes to one person: no 📎 in a room (the files script has followed the room by now).
    assert.ok(await page.locator("#attach").isHidden());

    // bob's room: alice is a member, not its creator — no Invite, and the API refuses as /room invite does.
    await bob.command({ cmd: "room_create", name: "ops", members: ["alice", "carol"] });
    const ops = await alice.waitFor("room", { test: (e) => e.name === "ops" });
    await page.click(`#contacts li[data-id="room:${ops.id}"] button`);
    await page.waitForFunction(() => document.title === "#ops — p2pchat");
    assert.equal(await members.textContent(), "Members: bob (creator), you, carol");
    assert.ok(await page.locator("#room-invite").isHidden(), "only the creator invites");
    const refused = await page.evaluate(async ([room, member]) => {
      const token = sessionStorage.getItem("p2pchat-session");
      const response = await fetch("/api/rooms/invite", {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ room, members: [member] }),
      });
      return { status: response.status, body: await response.json() };
    }, [ops.id, bob.id]);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, "not_creator");
    assert.equal(refused.body.error, "Only #ops's creator bob may invite");

    // Leave: bob (the creator) signs alice out; the room goes and the window shows Everyone.
    await page.click("#room-leave button");
    const after = await bob.waitFor("room", {
      test: (e) => e.id === ops.id && !e.members.some((m) => m.id === alice.id),
    });
    assert.deepEqual(after.members.map((m) => m.name), ["bob", "carol"]);
    await page.waitForFunction(() => document.title === "Everyone — p2pchat");
    await page.locator(`#contacts li[data-id="room:${ops.id}"]`).waitFor({ state: "detached" });
    assert.ok(await page.locator("#room-panel").isHidden());
    // Nothing of the room reaches alice any more.
    await bob.command({ cmd: "room_send", room: "ops", text: "only for bob and carol" });
    await carol.waitFor("message", { test: (e) => e.text === "only for bob and carol" });
    assert.ok(!alice.all("message").some((m) => m.text === "only for bob and carol"));

    await page.screenshot({ path: await artifactPath("web-room-changes.png") });
    assert.deepEqual(violations, [], `accessibility violations:\n${violations.join("\n")}`);
    assert.deepEqual(problems, [], "no script errors in the page");
  },
);

browserTest(
  "without JavaScript, New room, Invite and Leave are form posts, and a reload makes no second room",
  async () => {
    await using net = await TestNetwork.start();
    const alice = await net.peer("alice", { args: ["--web"] });
    const bob = await net.peer("bob");
    const carol = await net.peer("carol");
    await waitUntil(() => knownPeers(alice).length === 2, "alice to see bob and carol");
    await using browser = await launchBrowser();
    const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await page.goto((await alice.waitFor("web")).url);

    await page.click("#new-room summary");
    await page.fill("#room-name", "lunch");
    await page.check(`#new-room input[value="${bob.id}"]`);
    await page.click('#new-room button[type="submit"]');
    await page.locator("#title", { hasText: "#lunch" }).waitFor();
    assert.equal(
      await page.locator("#room-panel .room-members").innerText(),
      "Members: you (creator), bob",
    );
    const lunch = await bob.waitFor("room", { test: (e) => e.name === "lunch" });
    // A reload re-posts the form: the page comes back, no second #lunch is made.
    page.on("dialog", (dialog) => dialog.accept());
    await page.reload();
    await page.locator("#new-room").waitFor();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(alice.all("room").filter((e) => e.name === "lunch").length, 1);
    assert.equal(await page.locator("#contacts li[data-room]").count(), 1);
    await page.click(`#contacts li[data-id="room:${lunch.id}"] button`);
    await page.locator("#title", { hasText: "#lunch" }).waitFor();

    // Invite with nobody ticked: one line saying so, nothing changed.
    await page.click("#room-invite summary");
    await page.click('#room-invite button[type="submit"]');
    await page.locator(".banner.danger[role=alert]", {
      hasText: "Nobody invited: Pick at least one person to invite",
    }).waitFor();
    await page.click("#room-invite summary");
    await page.check(`#room-invite input[value="${carol.id}"]`);
    await page.click('#room-invite button[type="submit"]');
    await carol.waitFor("room", { test: (e) => e.id === lunch.id });
    await page.locator("#room-panel .room-members", {
      hasText: "Members: you (creator), bob, carol",
    }).waitFor();

    // Leave: alice is the creator, so she signs a version without herself.
    await page.click("#room-leave button");
    const left = await bob.waitFor("room", { test: (e) => e.id === lunch.id && e.version === 3 });
    assert.deepEqual(left.members.map((m) => m.name), ["bob", "carol"]);
    await page.locator("#title", { hasText: "Everyone" }).waitFor();
    assert.equal(await page.locator(`#contacts li[data-id="room:${lunch.id}"]`).count(), 0);
  },
);
