/// <reference lib="dom" />
// Functions given to page.waitForFunction run in the page, hence the DOM types.
import assert from "node:assert/strict";
import { artifactPath, browserTest, launchBrowser } from "../support/browser.ts";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";

// Slow enough heartbeats that "late" is visible before the eviction:
// late after 450 ms of silence, eviction soon after 900 ms, evicted after 1200 ms.
const REGISTRY_ARGS = ["--heartbeat-ms", "300", "--evict-after", "4"];

browserTest(
  "the dashboard shows peers arrive, go late, get evicted and get kicked, without a reload",
  async () => {
    await using dir = await tempDir();
    await using registry = await RegistryProcess.start(REGISTRY_ARGS);
    await using browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    let loads = 0;
    page.on("load", () => loads++);

    await page.goto(registry.dashboardUrl);
    await page.waitForSelector("#live[data-state=live]");
    assert.equal(await page.locator("#peers tr").count(), 0);
    assert.match(await page.locator("#no-peers").innerText(), /No peers online/);

    // Peers that start after the page loaded appear in it by themselves.
    const start = (name: string) =>
      PeerProcess.start(name, { registry: registry.address, dataDir: `${dir.path}/${name}` });
    await using alice = await start("alice");
    await using bob = await start("bob");
    await using carol = await start("carol");
    await using dave = await start("dave");
    for (const peer of [alice, bob, carol, dave]) {
      const row = page.locator(`#peers tr[data-id="${peer.id}"]`);
      await row.waitFor();
      assert.equal(await row.locator("td.name").innerText(), peer.name);
      assert.equal(await row.locator("td.id code").getAttribute("title"), peer.id);
      assert.equal(await row.locator("td.reconnects").innerText(), "0");
    }
    assert.equal(await page.locator('[data-stat="peersOnline"]').innerText(), "4");

    // Clicking a short ID copies the whole ID.
    await page.click(`#peers tr[data-id="${alice.id}"] td.id code`);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), alice.id);

    // Heartbeat ages tick in the browser: the value changes without any event.
    const age = page.locator(`#peers tr[data-id="${alice.id}"] td.age`);
    const firstAge = await age.innerText();
    await page.waitForFunction(
      ([selector, before]) => document.querySelector(selector)?.textContent !== before,
      [`#peers tr[data-id="${alice.id}"] td.age`, firstAge] as const,
    );

    // Filter and sort work in place.
    await page.fill("#filter", "ca");
    await page.waitForFunction(() => document.querySelectorAll("#peers tr").length === 1);
    assert.equal(await page.locator("#peers tr td.name").innerText(), "carol");
    await page.fill("#filter", "");
    await page.click('th[data-sort="name"] a');
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#peers tr td.name")].map((td) => td.textContent).join() ===
        "dave,carol,bob,alice"
    );

    // A frozen peer is marked late before it is evicted, then its row goes.
    bob.kill("SIGSTOP");
    const bobRow = page.locator(`#peers tr[data-id="${bob.id}"]`);
    await page.waitForSelector(
      `#peers tr[data-id="${bob.id}"]:is([data-state=late],[data-state=critical])`,
    );
    assert.match(await bobRow.locator("td.age").innerText(), /s$/);
    // Peers that keep beating are never shown as about to be evicted.
    for (const healthy of [alice, carol, dave]) {
      const state = await page.locator(`#peers tr[data-id="${healthy.id}"]`).getAttribute(
        "data-state",
      );
      assert.notEqual(state, "critical", `${healthy.name} is healthy`);
    }
    await page.screenshot({ path: await artifactPath("dashboard-late-peer.png"), fullPage: true });
    await bobRow.waitFor({ state: "detached", timeout: 10_000 });
    await page.waitForSelector('#events li[data-kind="evict"]');

    // A killed peer's connection drops: its row goes at once.
    carol.kill("SIGKILL");
    await page.locator(`#peers tr[data-id="${carol.id}"]`).waitFor({ state: "detached" });

    // Kicking needs the token; the button appears only once it is entered.
    const aliceRow = page.locator(`#peers tr[data-id="${alice.id}"]`);
    assert.equal(await aliceRow.locator("button.kick").count(), 0);
    await page.fill("#token", "not-the-token");
    await page.click("#token-form button");
    await aliceRow.locator("button.kick").click();
    await page.waitForSelector('#token-status[data-error="true"]');
    assert.match(await page.locator("#token-status").innerText(), /refused/);
    assert.equal(await aliceRow.count(), 1, "a wrong token kicks nobody");

    await page.fill("#token", registry.adminToken);
    await page.click("#token-form button");
    const mark = dave.mark();
    await aliceRow.locator("button.kick").click();
    await aliceRow.waitFor({ state: "detached" });
    const left = await dave.waitFor("peer_left", {
      after: mark,
      test: (e) => e.peer.id === alice.id,
    });
    assert.equal(left.reason, "kicked");
    await alice.waitFor("error", { test: (e) => /removed this peer/.test(e.message) });
    await page.waitForSelector('#events li[data-kind="kick"]');
    assert.equal(await page.locator('[data-stat="leaves.kicked"]').innerText(), "1");
    await page.screenshot({ path: await artifactPath("dashboard.png"), fullPage: true });

    assert.equal(loads, 1, "the page never reloaded");
    assert.deepEqual(problems, [], "no script errors in the page");
    bob.kill("SIGCONT");
  },
);

browserTest(
  "the dashboard page says when its live connection is lost and recovers when it returns",
  async () => {
    await using dir = await tempDir();
    await using registry = await RegistryProcess.start(REGISTRY_ARGS);
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(registry.dashboardUrl);
    await page.waitForSelector("#live[data-state=live]");
    const url = registry.dashboardUrl;
    const listen = registry.address;
    assert.equal(await registry.stop(), 0);
    await page.waitForSelector("#live[data-state=lost]");
    assert.match(await page.locator("#live").innerText(), /reconnecting/);

    // A new registry on the same addresses: the page catches up by itself.
    const port = new URL(url).port;
    await using again = await RegistryProcess.start([
      ...REGISTRY_ARGS,
      "--listen",
      listen,
      "--dashboard",
      `127.0.0.1:${port}`,
    ]);
    await using erin = await PeerProcess.start("erin", {
      registry: again.address,
      dataDir: `${dir.path}/e`,
    });
    await page.waitForSelector("#live[data-state=live]", { timeout: 15_000 });
    await page.locator(`#peers tr[data-id="${erin.id}"]`).waitFor();
  },
);

browserTest("the uptime card keeps its height however long the uptime reads", async () => {
  await using registry = await RegistryProcess.start();
  await using browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(registry.dashboardUrl);
  await page.waitForSelector("#live[data-state=live]");
  // Set and measured in one go, between two ticks of the page's own clock.
  const heights = await page.evaluate(() => {
    const uptime = document.getElementById("uptime")!;
    const card = uptime.closest(".card") as HTMLElement;
    return ["5 s", "2 min 24 s", "23 h 59 min", "999 d 23 h"].map((text) => {
      uptime.textContent = text;
      return card.getBoundingClientRect().height;
    });
  });
  assert.equal(new Set(heights).size, 1, `card heights ${heights.join(", ")}`);
});
