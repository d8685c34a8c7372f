import assert from "node:assert/strict";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("the bundled registry serves its dashboard, API and metrics", async () => {
  await using dir = await tempDir();
  await using registry = await RegistryProcess.start();
  await using alice = await PeerProcess.start("alice", {
    registry: registry.address,
    dataDir: `${dir.path}/a`,
  });
  const get = async (path: string) => {
    const response = await fetch(new URL(path, registry.dashboardUrl));
    return { response, text: await response.text() };
  };

  const health = await get("/healthz");
  assert.equal(health.response.status, 200);
  assert.equal(JSON.parse(health.text).status, "ok");

  const peers = JSON.parse((await get("/api/peers")).text).peers;
  assert.deepEqual(peers.map((p: { id: string }) => p.id), [alice.id]);

  const home = await get("/");
  assert.match(home.response.headers.get("content-type") ?? "", /^text\/html/);
  assert.ok(home.text.includes(alice.id), "the page lists the peer with its full ID");
  for (const asset of ["/assets/dashboard.css", "/assets/dashboard.js", "/favicon.svg"]) {
    const { response, text } = await get(asset);
    assert.equal(response.status, 200, asset);
    assert.ok(text.length > 100, `${asset} has content`);
  }

  const metrics = (await get("/metrics")).text;
  assert.match(metrics, /^p2pchat_peers_online 1$/m);
  assert.match(metrics, /^p2pchat_registrations_total 1$/m);

  const kick = await fetch(new URL(`/api/peers/${alice.id}/kick`, registry.dashboardUrl), {
    method: "POST",
    headers: { Authorization: `Bearer ${registry.adminToken}` },
  });
  assert.equal(kick.status, 200);
  await kick.body?.cancel();
  await alice.waitFor("error", { test: (e) => /removed this peer/.test(e.message) });
});

Deno.test("a registry refuses to expose its dashboard beyond loopback without a chosen token", async () => {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "registry",
      "--listen",
      "127.0.0.1:0",
      "--dashboard",
      "0.0.0.0:0",
    ],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stderr } = await command.output();
  assert.equal(code, 2);
  assert.match(
    new TextDecoder().decode(stderr),
    /^error: The dashboard on 0\.0\.0\.0:0 would be reachable/,
  );
});
