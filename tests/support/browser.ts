/**
 * A real headless Chromium for page tests, driven by playwright-core. The
 * browser comes from the system (Debian's `chromium`), never downloaded.
 */

import { type Browser, chromium } from "playwright-core";

const CANDIDATES = [
  Deno.env.get("CHROMIUM_PATH"),
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
];

/** The Chromium executable to use, if one is installed. */
export function findChromium(): string | undefined {
  for (const path of CANDIDATES) {
    if (!path) continue;
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here; try the next
    }
  }
  return undefined;
}

/**
 * Whether browser tests should be skipped: only when no Chromium exists and
 * this is not CI (CI installs it, so there a missing browser is a failure).
 */
export function skipBrowserTests(): boolean {
  if (findChromium() || Deno.env.get("CI")) return false;
  console.warn(
    "browser tests skipped: install Chromium (apt-get install chromium) or set CHROMIUM_PATH",
  );
  return true;
}

/**
 * A test that drives a real browser: skipped as {@linkcode skipBrowserTests}
 * says, and without Deno's op and resource sanitizers, because
 * playwright-core keeps internal timers across pages (everything a test
 * starts is closed at its end).
 */
export function browserTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name,
    ignore: skipBrowserTests(),
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  });
}

/** Launches headless Chromium; closes it on dispose. */
export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error("Chromium not found: apt-get install chromium, or set CHROMIUM_PATH");
  }
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // Root in CI needs --no-sandbox; the rest keeps Chromium off the (closed) network.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  return Object.assign(browser, {
    async [Symbol.asyncDispose]() {
      await browser.close();
    },
  });
}

/** Where tests leave screenshots for people to look at. */
export async function artifactPath(name: string): Promise<string> {
  const dir = new URL("../../artifacts", import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  return `${dir}/${name}`;
}
