/// <reference lib="dom" />
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { browserTest, launchBrowser } from "../support/browser.ts";
import { TestNetwork } from "../support/network.ts";
import { randomFile, sha256Of } from "../support/files.ts";

browserTest(
  "the web window accepts an offer with a button, attaches by button and by drag-and-drop, and shows progress",
  async () => {
    await using network = await TestNetwork.start();
    const alice = await network.peer("alice", {
      args: ["--web", "--download-dir", `${network.dir}/alice-in`],
    });
    const bob = await network.peer("bob", { args: ["--download-dir", `${network.dir}/bob-in`] });
    const url = (await alice.waitFor("web")).url;
    await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bob.id });
    await alice.command({ cmd: "send", to: "bob", text: "send me the slides?" });
    await bob.waitFor("message");
    const slides = `${network.dir}/slides.pdf`;
    const sha256 = await randomFile(slides, 3 * 1024 * 1024);
    await bob.command({ cmd: "send_file", to: "alice", path: slides });
    const offer = await alice.waitFor("file_offer");

    await using browser = await launchBrowser();
    const page = await (await browser.newContext()).newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(url);
    // The offer, in bob's conversation, with its answer buttons.
    const item = page.locator(`#transfers li[data-id="${offer.id}"]`);
    await item.waitFor();
    assert.match(await item.innerText(), /slides\.pdf[\s\S]*3\.0 MiB[\s\S]*from bob: waiting/);
    await item.locator("button.accept").click();
    await page.locator(`#transfers li[data-id="${offer.id}"][data-status="done"]`).waitFor();
    const bar = item.locator("progress");
    assert.equal(await bar.evaluate((el) => (el as HTMLProgressElement).value), 3 * 1024 * 1024);
    const done = await alice.waitFor("file_done", { test: (e) => e.id === offer.id });
    assert.equal(await sha256Of(done.path), sha256);

    // The 📎 button: a file picked in the browser is offered to bob.
    await page.locator("#attach").waitFor();
    await page.setInputFiles("#attach-file", {
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("meeting notes\n".repeat(1000)),
    });
    const picked = await bob.waitFor("file_offer", { test: (e) => e.name === "notes.txt" });
    assert.equal(picked.size, 14_000);
    await bob.command({ cmd: "accept_file", id: picked.id });
    const received = await bob.waitFor("file_done", { test: (e) => e.id === picked.id });
    assert.equal(await Deno.readTextFile(received.path), "meeting notes\n".repeat(1000));
    await page.locator(`#transfers li[data-id="${picked.id}"][data-status="done"]`).waitFor();

    // Dropped onto the conversation: offered too; bob declines, and the window says so.
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(["a drawing"], "sketch.svg", { type: "image/svg+xml" }));
      const target = document.querySelector(".conversation")!;
      target.dispatchEvent(
        new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }),
      );
      target.dispatchEvent(
        new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }),
      );
    });
    const dropped = await bob.waitFor("file_offer", { test: (e) => e.name === "sketch.svg" });
    await bob.command({ cmd: "decline_file", id: dropped.id });
    const declined = page.locator(`#transfers li[data-id="${dropped.id}"][data-status="declined"]`);
    await declined.waitFor();
    assert.match(await declined.innerText(), /to bob: declined/);
    assert.deepEqual(problems, []);
  },
);
