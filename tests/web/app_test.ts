import assert from "node:assert/strict";
import { Identity, Peer } from "../../peer/mod.ts";
import { Registry } from "../../registry/mod.ts";
import { createChatApp, WebSession } from "../../web/mod.ts";

const HOST = "127.0.0.1:7999";

/** A registry, a peer and its web app, torn down together. */
async function chatApp() {
  const registry = await Registry.start({ listen: { hostname: "127.0.0.1", port: 0 } });
  const port = Number(registry.info().listen.split(":").at(-1));
  const peer = await Peer.start({
    name: "alice",
    identity: await Identity.generate(),
    registry: { hostname: "127.0.0.1", port },
    listen: { hostname: "127.0.0.1", port: 0 },
  });
  const session = new WebSession("127.0.0.1", 7999, "the-secret-of-this-launch-0123456789");
  const streams = new AbortController();
  const app = createChatApp({ peer, session, signal: streams.signal });
  const request = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    app.request(path, { ...init, headers: { host: HOST, ...init.headers } });
  return {
    session,
    request,
    cookie: `${session.cookieName}=${session.secret}`,
    async [Symbol.asyncDispose]() {
      streams.abort();
      await peer.shutdown();
      await registry.shutdown();
    },
  };
}

Deno.test("without the launch secret every page and API answers 401", async () => {
  await using chat = await chatApp();
  for (const path of ["/", "/api/state", "/api/conversation/*", "/api/events"]) {
    const response = await chat.request(path);
    assert.equal(response.status, 401, path);
    await response.body?.cancel();
  }
  const wrongKey = await chat.request("/?key=guess");
  assert.equal(wrongKey.status, 401);
  assert.match(await wrongKey.text(), /This chat is locked/);
  const wrongCookie = await chat.request("/", {
    headers: { cookie: `${chat.session.cookieName}=guess` },
  });
  assert.equal(wrongCookie.status, 401);
  await wrongCookie.body?.cancel();
});

Deno.test("the printed URL trades its secret for an HttpOnly SameSite=Strict cookie", async () => {
  await using chat = await chatApp();
  const response = await chat.request(`/?key=${chat.session.secret}&with=*`);
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/?with=*", "the secret leaves the address bar");
  const cookie = response.headers.get("set-cookie") ?? "";
  assert.match(cookie, new RegExp(`^${chat.session.cookieName}=${chat.session.secret};`));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const page = await chat.request("/?with=*", { headers: { cookie: chat.cookie } });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<body data-self-id="[a-z2-7]{52}" data-self-name="alice"/);
  assert.match(html, /Everyone/);
});

Deno.test("POSTs from another origin, or with no origin, are refused even with the cookie", async () => {
  await using chat = await chatApp();
  const body = JSON.stringify({ to: "*", text: "hi" });
  const headers = { cookie: chat.cookie, "content-type": "application/json" };
  for (const origin of ["http://evil.example", "http://127.0.0.1:8000", undefined]) {
    const response = await chat.request("/api/send", {
      method: "POST",
      body,
      headers: origin ? { ...headers, origin } : headers,
    });
    assert.equal(response.status, 403, `origin ${origin}`);
    await response.body?.cancel();
  }
  const form = await chat.request("/send", {
    method: "POST",
    body: new URLSearchParams({ to: "*", text: "hi" }),
    headers: { cookie: chat.cookie, origin: "http://evil.example" },
  });
  assert.equal(form.status, 403, "the no-JavaScript form is protected too");
  await form.body?.cancel();
  // From the page itself it goes through (and says why nothing was sent: nobody is online).
  const own = await chat.request("/api/send", {
    method: "POST",
    body,
    headers: { ...headers, origin: `http://${HOST}` },
  });
  assert.equal(own.status, 400);
  assert.match((await own.json()).error, /No other peer is online/);
});

Deno.test("requests under another Host name are refused (DNS rebinding)", async () => {
  await using chat = await chatApp();
  for (const host of ["evil.example:7999", "127.0.0.1.evil.example:7999", "127.0.0.1:8000"]) {
    const response = await chat.request("/", { headers: { host, cookie: chat.cookie } });
    assert.equal(response.status, 421, host);
    await response.body?.cancel();
  }
});

Deno.test("the API reports state and rejects malformed input with a reason", async () => {
  await using chat = await chatApp();
  const state = await (await chat.request("/api/state", { headers: { cookie: chat.cookie } }))
    .json();
  assert.equal(state.self.name, "alice");
  assert.deepEqual(state.contacts, []);
  const post = (path: string, body: string) =>
    chat.request(path, {
      method: "POST",
      body,
      headers: {
        cookie: chat.cookie,
        "content-type": "application/json",
        origin: `http://${HOST}`,
      },
    });
  for (
    const [path, body] of [["/api/send", "{}"], ["/api/send", "not json"], ["/api/trust", "[]"]]
  ) {
    const response = await post(path, body);
    assert.equal(response.status, 400, `${path} ${body}`);
    assert.ok((await response.json()).error);
  }
  const unknown = await chat.request(`/api/conversation/${"a".repeat(52)}`, {
    headers: { cookie: chat.cookie },
  });
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
  for (const asset of ["/assets/chat.css", "/assets/chat.js", "/favicon.svg"]) {
    const response = await chat.request(asset);
    assert.equal(response.status, 200, `${asset} needs no cookie`);
    await response.body?.cancel();
  }
  const js = await (await chat.request("/assets/chat.js")).text();
  new Function(js); // parses
  assert.ok(!/\binnerHTML\b/.test(js), "peer text is never set as HTML");
});
