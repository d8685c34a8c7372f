import assert from "node:assert/strict";
import { Identity, Peer } from "../../peer/mod.ts";
import { Registry } from "../../registry/mod.ts";
import { createChatApp, SESSION_IDLE_MS, WebAccess } from "../../web/mod.ts";
import { waitUntil } from "../support/wait.ts";

const HOST = "127.0.0.1:7999";
const ORIGIN = `http://${HOST}`;
const LAUNCH = "the-launch-secret-of-this-run-0123456789";

/** A registry, alice with her web app, and bob to talk to, torn down together. */
async function chatApp() {
  const registry = await Registry.start({ listen: { hostname: "127.0.0.1", port: 0 } });
  const port = Number(registry.info().listen.split(":").at(-1));
  const start = async (name: string) =>
    await Peer.start({
      name,
      identity: await Identity.generate(),
      registry: { hostname: "127.0.0.1", port },
      listen: { hostname: "127.0.0.1", port: 0 },
    });
  const alice = await start("alice");
  const bob = await start("bob");
  const launches: string[] = [];
  const access = new WebAccess("127.0.0.1", 7999, {
    launchSecret: LAUNCH,
    onLaunchSecret: (secret) => launches.push(secret),
  });
  const streams = new AbortController();
  const app = createChatApp({ peer: alice, access, signal: streams.signal });
  const request = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    app.request(path, { ...init, headers: { host: HOST, ...init.headers } });
  /** Opens the printed address once; returns the session token the page holds. */
  async function open(secret = LAUNCH): Promise<string> {
    const response = await request(`/?launch=${secret}`);
    assert.equal(response.status, 200);
    const token = /name="session" value="([^"]+)"/.exec(await response.text())?.[1];
    assert.ok(token, "the page carries its session token in its forms");
    return token;
  }
  return {
    alice,
    bob,
    access,
    launches,
    request,
    open,
    /** A form post from the page itself. */
    form(path: string, fields: Record<string, string>) {
      return request(path, {
        method: "POST",
        body: new URLSearchParams(fields),
        headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      });
    },
    /** A script request with the session token. */
    api(path: string, token: string, body?: unknown) {
      return request(path, {
        method: body === undefined ? "GET" : "POST",
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: {
          authorization: `Bearer ${token}`,
          origin: ORIGIN,
          "content-type": "application/json",
        },
      });
    },
    async [Symbol.asyncDispose]() {
      streams.abort();
      await bob.shutdown();
      await alice.shutdown();
      await registry.shutdown();
    },
  };
}

Deno.test("without a session every page and API answers 401, and cookies admit nobody", async () => {
  await using chat = await chatApp();
  const token = await chat.open();
  for (const path of ["/api/state", "/api/conversation/*", "/api/events"]) {
    for (
      const headers of [
        {},
        { authorization: "Bearer guess" },
        { cookie: `p2pchat_7999=${token}; session=${token}` },
        { authorization: `Basic ${btoa(`x:${token}`)}` },
      ] as Record<string, string>[]
    ) {
      const response = await chat.request(path, { headers });
      assert.equal(response.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.equal((await response.json()).code, "session_ended");
    }
  }
  const page = await chat.request("/", { headers: { cookie: `session=${token}` } });
  assert.equal(page.status, 401);
  const html = await page.text();
  assert.match(html, /This chat is locked/);
  assert.doesNotMatch(html, new RegExp(token), "the locked page holds no secret");
  assert.match(html, /<link rel="icon" href="\/favicon.svg"/, "the locked page has an icon");
  const wrongForm = await chat.form("/", { session: "guess" });
  assert.equal(wrongForm.status, 401);
  assert.match(await wrongForm.text(), /data-reason="expired"/);
});

Deno.test("the printed address opens one window, once, and the next address is announced", async () => {
  await using chat = await chatApp();
  const response = await chat.request(`/?launch=${LAUNCH}&with=*`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("set-cookie"), null, "no cookie is ever set");
  assert.equal(response.headers.get("cache-control"), "no-store");
  const html = await response.text();
  assert.match(html, /<body data-self-id="[a-z2-7]{52}" data-self-name="alice"/);
  assert.doesNotMatch(html, new RegExp(LAUNCH), "the page does not repeat the launch secret");
  const again = await chat.request(`/?launch=${LAUNCH}`);
  assert.equal(again.status, 401, "a used address opens nothing");
  assert.match(await again.text(), /data-reason="used"/);
  assert.equal(chat.launches.length, 1, "a fresh address was issued");
  assert.equal(chat.access.launchSecret, chat.launches[0]);
  await chat.open(chat.launches[0]);
  assert.equal(chat.access.sessionCount, 2, "two tabs, two sessions");
});

Deno.test("the session token reads and sends as a bearer token or in a form, never alone", async () => {
  await using chat = await chatApp();
  const token = await chat.open();
  await waitUntil(() => chat.alice.peers().length === 1, "alice to see bob");
  const state = await (await chat.api("/api/state", token)).json();
  assert.equal(state.self.name, "alice");
  assert.deepEqual(state.contacts.map((c: { peer: { name: string } }) => c.peer.name), ["bob"]);
  assert.deepEqual(state.keyChanges, []);

  const sent = await chat.api("/api/send", token, { to: chat.bob.id, text: "by script" });
  assert.equal(sent.status, 200);
  const form = { session: token, to: chat.bob.id, text: "by form", form: "nonce-1" };
  const page = await chat.form("/send", form);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /by form/);
  // The browser re-posts the same form on a reload: it is not sent twice.
  assert.equal((await chat.form("/send", form)).status, 200);
  const history = await chat.alice.conversation(chat.bob.id, 10);
  assert.deepEqual(history.map((m) => m.text), ["by script", "by form"]);
  await waitUntil(() => chat.alice.linkPath(chat.bob.id), "alice's link to bob");
  const linked = await (await chat.api("/api/state", token)).json();
  assert.equal(linked.contacts[0].link, "direct", "a contact says how its link was made");
  assert.match(
    await (await chat.form("/", { session: token, with: chat.bob.id })).text(),
    /<span class="link-path">direct<\/span>/,
  );

  // From another origin, or with no origin, nothing is sent even with the token.
  for (const origin of ["http://evil.example", "http://127.0.0.1:8000", undefined]) {
    const response = await chat.request("/api/send", {
      method: "POST",
      body: JSON.stringify({ to: chat.bob.id, text: "forged" }),
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        ...(origin ? { origin } : {}),
      },
    });
    assert.equal(response.status, 403, `origin ${origin}`);
    await response.body?.cancel();
  }
  assert.equal((await chat.alice.conversation(chat.bob.id, 10)).length, 2);
});

Deno.test("a session ends after being idle; using it keeps it alive", async () => {
  let now = 0;
  const access = new WebAccess("127.0.0.1", 7999, { launchSecret: LAUNCH, now: () => now });
  const token = (await access.open(LAUNCH))!;
  assert.equal(await access.open(LAUNCH), undefined, "the launch secret works once");
  now += SESSION_IDLE_MS - 1;
  assert.ok(await access.admits(token), "in use, so alive");
  now += SESSION_IDLE_MS - 1;
  assert.ok(await access.admits(token));
  now += SESSION_IDLE_MS + 1;
  assert.equal(await access.admits(token), false, "idle too long");
  assert.equal(access.sessionCount, 0);
});

Deno.test("requests under another Host name are refused (DNS rebinding)", async () => {
  await using chat = await chatApp();
  const token = await chat.open();
  for (const host of ["evil.example:7999", "127.0.0.1.evil.example:7999", "127.0.0.1:8000"]) {
    const response = await chat.request("/api/state", {
      headers: { host, authorization: `Bearer ${token}` },
    });
    assert.equal(response.status, 421, host);
    await response.body?.cancel();
  }
});

Deno.test("the API rejects malformed input with a reason; assets are public and compressed", async () => {
  await using chat = await chatApp();
  const token = await chat.open();
  const malformed: [string, unknown][] = [
    ["/api/send", {}],
    ["/api/trust", []],
    ["/api/trust", { name: 1 }],
    ["/api/rooms", {}],
    ["/api/rooms", { name: "team", members: "bob" }],
    ["/api/rooms", { name: "team", members: [1] }],
    ["/api/rooms/invite", { room: "team", members: [] }],
    ["/api/rooms/leave", {}],
  ];
  for (const [path, body] of malformed) {
    const response = await chat.api(path, token, body);
    assert.equal(response.status, 400, `${path} ${JSON.stringify(body)}`);
    assert.ok((await response.json()).error);
  }
  const unknown = await chat.api(`/api/conversation/${"a".repeat(52)}`, token);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get("cache-control"), "no-store");
  await unknown.body?.cancel();
  for (
    const asset of ["/assets/chat.css", "/assets/chat.js", "/assets/unlock.js", "/favicon.svg"]
  ) {
    const response = await chat.request(asset);
    assert.equal(response.status, 200, `${asset} needs no session`);
    await response.body?.cancel();
  }
  const icon = await chat.request("/favicon.ico");
  assert.equal(icon.status, 301);
  const gzipped = await chat.request("/assets/chat.js", { headers: { "accept-encoding": "gzip" } });
  assert.equal(gzipped.headers.get("content-encoding"), "gzip");
  const js = await new Response(gzipped.body!.pipeThrough(new DecompressionStream("gzip"))).text();
  new Function(js); // parses
  assert.ok(!/\binnerHTML\b/.test(js), "peer text is never set as HTML");
  for (const script of ["/assets/files.js", "/assets/rooms.js"]) {
    const source = await (await chat.request(script)).text();
    new Function(source); // parses
    assert.ok(!/\binnerHTML\b/.test(source), `${script} never sets peer text as HTML`);
  }
  assert.ok(!/EventSource/.test(js), "the stream is read with fetch, so the token stays a header");
});
