/// <reference lib="dom" />
/**
 * The pictures: the dashboard's network chart (drawn by the registry, there
 * without JavaScript, moving with the live stream), a peer's heartbeat
 * sparkline with its thresholds, and the chat window's unread count in the
 * tab title and its opt-in desktop notifications.
 */
import assert from "node:assert/strict";
import { Dashboard } from "../../dashboard/mod.ts";
import { silentLogger } from "../../log/mod.ts";
import { Registry } from "../../registry/mod.ts";
import { artifactPath, launchBrowser, skipBrowserTests } from "../support/browser.ts";
import { keepAlive } from "../../sim/mod.ts";
import { TestNetwork } from "../support/network.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";
import { registeredPeer } from "../registry/registry_fixture.ts";

/** What the init script below gives the page: the tab's visibility, and the notifications made. */
declare global {
  var testTab: { shown: { title: string; body?: string }[]; hide(value: boolean): void };
}

const browserTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name,
    ignore: skipBrowserTests(),
    // playwright-core keeps internal timers across pages; everything it starts is closed at the end.
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  });

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
