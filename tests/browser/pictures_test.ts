/// <reference lib="dom" />
/**
 * The pictures: the dashboard's network chart (drawn by the registry, there
 * without JavaScript, moving with the live stream), a peer's heartbeat
 * sparkline with its thresholds, the chat window's unread count in the
 * tab title and its opt-in desktop notifications, and the README's picture
 * of the chat window (artifacts/web.png, copied to docs/web.png): rooms with
 * unread badges and a file transfer caught partway.
 */
import assert from "node:assert/strict";
import { Dashboard } from "../../dashboard/mod.ts";
import { silentLogger } from "../../log/mod.ts";
import { Registry } from "../../registry/mod.ts";
import { artifactPath, browserTest, launchBrowser } from "../support/browser.ts";
import { keepAlive } from "../../sim/mod.ts";
import { TestNetwork } from "../support/network.ts";
import { accessibilityViolations } from "../support/axe.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";
import { randomFile, sha256Of } from "../support/files.ts";
import { registeredPeer } from "../registry/registry_fixture.ts";

/** What the init script below gives the page: the tab's visibility, and the notifications made. */
declare global {
  var testTab: { shown: { title: string; body?: string }[]; hide(value: boolean): void };
}

browserTest(
  "the dashboard's chart is drawn by the registry, there without JavaScript, and moves live",
  async () => {
    // The registry runs in this process: a stall of it longer than the
    // eviction time (launching Chromium on a loaded machine took over 600 ms)
    // evicts peers whose beats were on time, so 1.5 s rather than 0.6 s.
    await using registry = await Registry.start({
      listen: { hostname: "127.0.0.1", port: 0 },
      heartbeatMs: 500,
      evictAfter: 3,
    });
    await using dashboard = Dashboard.start({
      view: registry,
      listen: { hostname: "127.0.0.1", port: 0 },
      adminToken: "a-test-token-of-32-characters-xx",
      logger: silentLogger,
      chartSampleMs: 100,
    });
    await using alice = await registeredPeer(registry, "alice");
    using _beat = keepAlive([alice], 100);
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Without JavaScript: the page itself carries the drawing.
    const html = await (await fetch(dashboard.url)).text();
    assert.match(html, /<svg id="network-chart"[^>]*role="img"/);
    assert.match(html, /<path id="chart-online" class="line online" d="M[\d.,]+/);
    assert.match(html, /<path id="chart-rate" class="line rate" d="M[\d.,]+/);
    assert.match(html, /<path id="chart-joins" class="bar joins" d="M[\d.,]+/);
    assert.match(html, /Peers online: 1 \(peak 1\)/);

    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(dashboard.url);
    await page.waitForSelector("#live[data-state=live]");
    const before = await page.getAttribute("#chart-online", "d");
    // Two more peers, one evicted: the chart follows without a reload.
    await using bob = await registeredPeer(registry, "bob", { listenPort: 4002 });
    await using dave = await registeredPeer(registry, "dave", { listenPort: 4004 });
    using _beats = keepAlive([bob], 100);
    // Dave beats too until the chart has shown all three: left silent from the
    // start, he could be evicted before a loaded machine draws the three.
    const daveBeats = keepAlive([dave], 100);
    await page.waitForFunction(() =>
      document.getElementById("chart-online-title")?.textContent === "Peers online: 3 (peak 3)"
    );
    daveBeats[Symbol.dispose]();
    await dave.waitClosed(); // silent, so evicted
    await page.waitForFunction(() =>
      /1 eviction\b/.test(document.getElementById("chart-events-title")?.textContent ?? "")
    );
    assert.notEqual(await page.getAttribute("#chart-online", "d"), before);
    assert.match(
      await page.locator("#chart-desc").textContent() ?? "",
      /2 peers online now, at most 3/,
    );
    assert.notEqual(await page.getAttribute("#chart-evictions", "d"), "");
    await page.locator(".chart").screenshot({ path: await artifactPath("dashboard-chart.png") });

    // A peer's page: its heartbeat intervals against the announced interval and the thresholds.
    await page.goto(`${dashboard.url}peers/${alice.identity.id}`);
    const spark = page.locator("svg.sparkline");
    await spark.waitFor();
    assert.ok(await spark.locator("circle").count() >= 3, "one dot per interval");
    for (const threshold of ["expected", "late", "evict"]) {
      assert.equal(await spark.locator(`.threshold.${threshold} line`).count(), 1, threshold);
    }
    const labels = await spark.locator("text").allTextContents();
    for (const label of ["every 500 ms", "late 750 ms", "evicted 1500 ms"]) {
      assert.ok(labels.includes(label), `${label} in ${labels.join(", ")}`);
    }
    assert.match(await page.locator("#sparkline-desc").textContent() ?? "", /median \d+ ms/);
    await page.locator(".rhythm").screenshot({
      path: await artifactPath("dashboard-sparkline.png"),
    });
  },
);

browserTest(
  "the tab title counts unread messages; notifications come only when asked for and hidden",
  async () => {
    await using net = await TestNetwork.start();
    await using alice = await net.peer("alice", { args: ["--web"] });
    await using bob = await net.peer("bob");
    await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");
    await using browser = await launchBrowser();
    const context = await browser.newContext();
    await context.grantPermissions(["notifications"]);
    const page = await context.newPage();
    // Headless Chromium never hides a tab, so the test plays the browser's part:
    // it says when the tab is hidden, and records the notifications the page makes.
    await page.addInitScript(() => {
      let hidden = false;
      Object.defineProperty(Document.prototype, "visibilityState", {
        get: () => hidden ? "hidden" : "visible",
      });
      Object.defineProperty(Document.prototype, "hidden", { get: () => hidden });
      const shown: { title: string; body?: string }[] = [];
      const Real = Notification;
      class Recorded extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push({ title, body: options?.body });
        }
      }
      Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
      Object.assign(globalThis, {
        Notification: Recorded,
        testTab: {
          shown,
          hide(value: boolean) {
            hidden = value;
            document.dispatchEvent(new Event("visibilitychange"));
          },
        },
      });
    });
    await page.goto((await alice.waitFor("web")).url);
    await page.waitForSelector("body[data-live=true]");
    await page.click('#contacts [data-id="*"]');
    await page.waitForFunction(() => document.title === "Everyone — p2pchat");

    // Two messages in a conversation not on screen: the title says (2).
    for (const text of ["one", "two"]) await bob.command({ cmd: "send", to: "alice", text });
    await page.waitForFunction(() => document.title === "(2) Everyone — p2pchat");
    await page.click(`#contacts [data-id="${bob.id}"]`);
    await page.waitForFunction(() => document.title === "bob — p2pchat");

    // Hidden, but notifications not asked for: none.
    await page.evaluate(() => testTab.hide(true));
    await bob.command({ cmd: "send", to: "alice", text: "not announced" });
    await page.locator("#messages li", { hasText: "not announced" }).waitFor();
    await page.waitForFunction(() => document.title === "(1) bob — p2pchat");
    assert.deepEqual(await page.evaluate(() => testTab.shown), []);

    // Asked for (the toggle), visible: none; hidden: one, with the sender and text.
    await page.evaluate(() => testTab.hide(false));
    await page.click("#notify");
    await page.waitForSelector('#notify[aria-pressed="true"]');
    await bob.command({ cmd: "send", to: "alice", text: "seen on screen" });
    await page.locator("#messages li", { hasText: "seen on screen" }).waitFor();
    await page.evaluate(() => testTab.hide(true));
    await bob.command({ cmd: "send", to: "alice", text: "while you were away" });
    await page.waitForFunction(() => testTab.shown.length === 1);
    assert.deepEqual(await page.evaluate(() => testTab.shown), [
      { title: "bob", body: "while you were away" },
    ]);
    // Back on the tab: the messages are read and the count goes.
    await page.evaluate(() => testTab.hide(false));
    await page.waitForFunction(() => document.title === "bob — p2pchat");
  },
);

browserTest(
  "the README's chat window: rooms with unread badges, and a file transfer caught partway",
  async () => {
    // bob is frozen mid-transfer for the picture: late after 1.5 s, evicted only after 6.
    await using net = await TestNetwork.start(["--heartbeat-ms", "1000", "--evict-after", "6"]);
    const alice = await net.peer("alice", {
      args: ["--web", "--download-dir", `${net.dir}/alice-in`],
    });
    const bob = await net.peer("bob", {
      args: ["--download-dir", `${net.dir}/bob-in`, "--accept-files-from", "alice"],
    });
    const carol = await net.peer("carol");
    const url = (await alice.waitFor("web")).url;
    await waitUntil(() => knownPeers(alice).length === 2, "alice to see bob and carol");

    // Two rooms with news in them, and a conversation with bob.
    await alice.command({ cmd: "room_create", name: "team", members: ["bob", "carol"] });
    const team = await alice.waitFor("room", { test: (e) => e.name === "team" });
    await bob.waitFor("room", { test: (e) => e.id === team.id });
    await carol.waitFor("room", { test: (e) => e.id === team.id });
    await bob.command({ cmd: "room_send", room: "team", text: "Standup moved to 10:00" });
    await carol.command({ cmd: "room_send", room: "team", text: "I'll be late" });
    await carol.command({ cmd: "room_create", name: "lunch", members: ["alice", "bob"] });
    const lunch = await alice.waitFor("room", { test: (e) => e.name === "lunch" });
    await carol.command({ cmd: "room_send", room: "lunch", text: "Pizza at 12?" });
    await waitUntil(
      () => alice.all("message").filter((m) => m.room).length === 3,
      "alice to get the three room messages",
    );
    await bob.command({ cmd: "send", to: "alice", text: "Here is the design review recording" });
    await alice.waitFor("message", { test: (e) => e.text.startsWith("Here is the design") });
    await alice.command({ cmd: "send", to: "bob", text: "Thanks! My slides are on their way" });
    const slides = `${net.dir}/slides.pdf`;
    await randomFile(slides, 3 * 1024 * 1024);
    await alice.command({ cmd: "send_file", to: "bob", path: slides });
    await bob.waitFor("file_done");
    // Big enough that the first progress comes long before the end, however fast the link.
    const recording = `${net.dir}/design-review.mp4`;
    const sha256 = await randomFile(recording, 128 * 1024 * 1024);
    await bob.command({ cmd: "send_file", to: "alice", path: recording });
    const offer = await alice.waitFor("file_offer", {
      test: (e) => e.name === "design-review.mp4",
    });

    await using browser = await launchBrowser();
    const page = await (await browser.newContext({
      viewport: { width: 1100, height: 720 },
      bypassCSP: true, // for axe-core
    })).newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(url);
    await page.waitForSelector("body[data-live=true]");
    await page.click(`#contacts [data-id="${bob.id}"] button`);
    await page.waitForFunction(() => document.title.endsWith("bob — p2pchat"));
    const item = page.locator(`#transfers li[data-id="${offer.id}"]`);

    // Caught partway: bob (the sender) is stopped before alice accepts, then let run in short
    // steps until her bar shows about a third, so the picture never races the link. (Stopping
    // him at her first progress event raced it: a fast machine sent all 128 MiB by then.)
    const barOf = () =>
      item.locator("progress").evaluate((el) => {
        const progress = el as HTMLProgressElement;
        return { value: progress.value, max: progress.max };
      });
    bob.kill("SIGSTOP");
    try {
      await item.locator("button.accept").click();
      // Each step runs bob for about half of what is left to a third, at the rate seen so far;
      // until a rate is seen, steps stay short enough that even a fast link cannot finish.
      let runMs = 10;
      let before = 0;
      for (let step = 0; step < 200; step++) {
        bob.kill("SIGCONT");
        await new Promise((resolve) => setTimeout(resolve, runMs));
        bob.kill("SIGSTOP");
        // Progress events come at most 4 a second: wait for the one after the step.
        await new Promise((resolve) => setTimeout(resolve, 400));
        const { value, max } = await barOf();
        if (value >= max / 3) break;
        const perMs = (value - before) / runMs;
        runMs = perMs > 0
          ? Math.min(200, Math.max(10, (max / 3 - value) / perMs / 2))
          : Math.min(50, runMs * 2);
        before = value;
      }
      await page.locator(`#transfers li[data-id="${offer.id}"][data-status="transferring"]`)
        .waitFor();
      const bar = await barOf();
      assert.ok(
        bar.value >= bar.max / 3 && bar.value < bar.max,
        `partway: ${bar.value} of ${bar.max}`,
      );
      assert.match(
        await item.innerText(),
        /design-review\.mp4[\s\S]*128 MiB[\s\S]*from bob: transferring/,
      );
      const done = page.locator("#transfers li[data-status=done]", { hasText: "slides.pdf" });
      assert.match(await done.innerText(), /to bob: done/);
      for (const [room, unread] of [[team, "2"], [lunch, "1"]] as const) {
        const badge = page.locator(`#contacts li[data-id="room:${room.id}"] .badge.unread .count`);
        assert.equal(await badge.textContent(), unread, `#${room.name}'s badge`);
      }
      await page.screenshot({ path: await artifactPath("web.png") });
      assert.deepEqual(await accessibilityViolations(page), [], "WCAG 2.2 AA in the picture");
    } finally {
      bob.kill("SIGCONT");
    }
    // Let go, the transfer ends whole.
    const received = await alice.waitFor("file_done", { test: (e) => e.id === offer.id });
    assert.equal(await sha256Of(received.path), sha256);
    await page.locator(`#transfers li[data-id="${offer.id}"][data-status="done"]`).waitFor();
    assert.deepEqual(problems, [], "no script errors in the page");
  },
);
