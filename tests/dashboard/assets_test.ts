import assert from "node:assert/strict";
import { startDashboard } from "./dashboard_fixture.ts";

Deno.test("the stylesheet is served as text/css", async () => {
  await using dashboard = await startDashboard();
  const res = await dashboard.request("/assets/dashboard.css");
  const css = await res.text();
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/css\b/);
  assert.match(res.headers.get("cache-control") ?? "", /max-age=\d+/);
  assert.match(css, /\{[^}]*:[^}]*\}/, "it holds CSS rules");
  assert.doesNotMatch(css, /@import|url\(\s*["']?https?:/, "nothing is fetched from elsewhere");
});

Deno.test("the browser script is served as valid, self-contained JavaScript", async () => {
  await using dashboard = await startDashboard();
  const res = await dashboard.request("/assets/dashboard.js");
  const js = await res.text();
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/javascript\b/);
  assert.doesNotThrow(() => new Function(js), "the script parses");
  assert.ok(!js.includes("import "), "no import statements: the browser gets one file");
  assert.doesNotMatch(js, /\bimport\s*\(/, "no dynamic imports");
  assert.doesNotMatch(js, /https?:\/\//, "nothing is fetched from elsewhere");
  for (const formatter of ["formatAge", "formatDuration", "heartbeatState"]) {
    assert.ok(js.includes(formatter), `the shared ${formatter} is bundled in`);
  }
  assert.ok(js.includes("/api/events"), "it follows the live feed");
  assert.doesNotMatch(
    js,
    /\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(/,
    "peer-supplied text never becomes markup in the browser",
  );
});

Deno.test("the favicon is an SVG image, and /favicon.ico redirects to it", async () => {
  await using dashboard = await startDashboard();
  const res = await dashboard.request("/favicon.svg");
  const svg = await res.text();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "image/svg+xml");
  assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/);

  const ico = await dashboard.request("/favicon.ico");
  await ico.body?.cancel();
  assert.equal(ico.status, 301);
  assert.equal(ico.headers.get("location"), "/favicon.svg");
});

Deno.test("every stylesheet, script and icon the home page links to is served", async () => {
  await using dashboard = await startDashboard();
  const html = await dashboard.html("/");
  const links = [...html.matchAll(/<(?:link|script)\b[^>]*?\b(?:href|src)="([^"]+)"/g)]
    .map((m) => m[1].replaceAll("&amp;", "&"));
  assert.ok(links.length >= 3, `links: ${links.join(", ")}`);
  for (const link of links) {
    assert.ok(link.startsWith("/"), `${link} is served by the registry itself`);
    const res = await dashboard.request(link);
    await res.body?.cancel();
    assert.equal(res.status, 200, link);
  }
});
