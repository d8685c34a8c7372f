/// <reference lib="dom" />
/**
 * The dashboard's browser script. The server renders complete pages; this
 * makes them live: it follows `/api/events` (SSE), adds and removes rows,
 * ticks heartbeat ages, sorts and filters, and offers kicking once the
 * operator has entered the admin token.
 *
 * It is sent as source text (`dashboardClient.toString()`), so it must not
 * use imports or anything outside its own body; the shared formatters arrive
 * as its argument. Peer-supplied text is only ever set with `textContent`.
 */

import type * as Format from "./format.ts";

interface LivePeer {
  id: string;
  name: string;
  address: string;
  connectedAt: string;
  lastHeartbeatAt: string;
  reconnects: number;
  version: string;
  instance?: string;
}

interface LiveCluster {
  instance: string;
  list: { epoch: string; seq: number };
  instances: {
    name: string;
    address: string;
    peers: number;
    lastSeenMs: number;
    healthy: boolean;
  }[];
  engine: { status: "up" | "down"; reason?: string };
}

/** Runs in the browser. */
export function dashboardClient(format: typeof Format): void {
  const body = document.body;
  const heartbeatMs = Number(body.dataset.heartbeatMs);
  const evictAfter = Number(body.dataset.evictAfter);
  const startedAt = Number(body.dataset.startedAt);
  const clustered = body.dataset.cluster === "true";
  // Server clock minus ours, refreshed by every event, so ages are the server's.
  let skew = Number(body.dataset.serverNow) - Date.now();
  const serverNow = () => Date.now() + skew;

  const live = document.getElementById("live")!;
  const tbody = document.getElementById("peers") as HTMLTableSectionElement | null;
  const events = document.getElementById("events");
  const filter = document.getElementById("filter") as HTMLInputElement | null;
  const countLabel = document.getElementById("peer-count");
  const empty = document.getElementById("no-peers");
  const uptime = document.getElementById("uptime");
  const tokenForm = document.getElementById("token-form") as HTMLFormElement | null;
  const tokenInput = document.getElementById("token") as HTMLInputElement | null;
  const tokenStatus = document.getElementById("token-status");

  interface Row {
    peer: {
      id: string;
      name: string;
      address: string;
      version: string;
      reconnects: number;
      instance?: string;
    };
    connectedAt: number;
    lastHeartbeatAt: number;
  }
  const rows = new Map<string, Row>();
  const params = new URLSearchParams(location.search);
  let sortKey = params.get("sort") ?? "name";
  let descending = params.get("dir") === "desc";
  let token = sessionStorage.getItem("p2pchat-admin-token") ?? "";

  // ---- the table ------------------------------------------------------------

  function fromJson(peer: LivePeer): Row {
    return {
      peer,
      connectedAt: Date.parse(peer.connectedAt),
      lastHeartbeatAt: Date.parse(peer.lastHeartbeatAt),
    };
  }

  function cell(text: string, className: string): HTMLTableCellElement {
    const td = document.createElement("td");
    td.className = className;
    td.textContent = text;
    return td;
  }

  function buildRow(row: Row): HTMLTableRowElement {
    const tr = document.createElement("tr");
    tr.dataset.id = row.peer.id;
    tr.dataset.name = row.peer.name;
    const name = cell("", "name");
    const link = document.createElement("a");
    link.href = `/peers/${row.peer.id}`;
    link.textContent = row.peer.name;
    name.append(link);
    const id = cell("", "id");
    const code = document.createElement("code");
    code.title = row.peer.id;
    code.textContent = row.peer.id.slice(0, 8);
    id.append(code);
    const since = cell("", "since");
    const time = document.createElement("time");
    time.dateTime = new Date(row.connectedAt).toISOString();
    time.title = time.dateTime;
    since.append(time);
    tr.append(
      name,
      id,
      cell(row.peer.address, "address"),
      ...(clustered ? [cell(row.peer.instance ?? "", "instance")] : []),
      since,
      cell("", "age"),
      cell(String(row.peer.reconnects), "reconnects"),
      cell(row.peer.version, "version"),
      cell("", "actions"),
    );
    return tr;
  }

  function sortValue(row: Row): string | number {
    switch (sortKey) {
      case "address":
        return row.peer.address;
      case "instance":
        return row.peer.instance ?? "";
      case "since":
        return row.connectedAt;
      case "age":
        return -row.lastHeartbeatAt;
      case "reconnects":
        return row.peer.reconnects;
      case "version":
        return row.peer.version;
      default:
        return row.peer.name.toLowerCase();
    }
  }

  function render(): void {
    if (!tbody) return;
    const query = (filter?.value ?? "").toLowerCase();
    const shown = [...rows.values()]
      .filter((row) => row.peer.name.toLowerCase().includes(query))
      .sort((a, b) => {
        const [x, y] = [sortValue(a), sortValue(b)];
        const order = x < y ? -1 : x > y ? 1 : a.peer.name.localeCompare(b.peer.name);
        return descending ? -order : order;
      });
    const existing = new Map<string, HTMLTableRowElement>();
    for (const tr of [...tbody.rows]) existing.set(tr.dataset.id!, tr);
    const wanted = new Set(shown.map((row) => row.peer.id));
    for (const [id, tr] of existing) if (!wanted.has(id)) tr.remove();
    let previous: HTMLTableRowElement | null = null;
    for (const row of shown) {
      let tr = existing.get(row.peer.id);
      const signature = [
        row.peer.name,
        row.peer.address,
        row.peer.reconnects,
        row.peer.version,
        row.peer.instance ?? "",
        row.connectedAt,
      ]
        .join("\n");
      if (!tr || tr.dataset.signature !== signature) {
        const fresh = buildRow(row);
        fresh.dataset.signature = signature;
        if (tr) tr.replaceWith(fresh);
        tr = fresh;
      }
      const expectedPosition: ChildNode | null = previous ? previous.nextSibling : tbody.firstChild;
      if (expectedPosition !== tr) tbody.insertBefore(tr, expectedPosition);
      previous = tr;
    }
    if (countLabel) countLabel.textContent = `${shown.length} of ${rows.size} shown`;
    if (empty) {
      empty.hidden = shown.length > 0;
      empty.textContent = rows.size === 0 ? "No peers online." : "No peer matches the filter.";
    }
    for (const th of document.querySelectorAll<HTMLElement>("th[data-sort]")) {
      if (th.dataset.sort === sortKey) {
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      } else th.removeAttribute("aria-sort");
    }
    renderKickButtons();
    tick();
  }

  /** Updates ages and lateness marks; runs several times a second. */
  function tick(): void {
    const now = serverNow();
    if (uptime) uptime.textContent = format.formatDuration(now - startedAt);
    if (!tbody) return;
    for (const tr of tbody.rows) {
      const row = rows.get(tr.dataset.id!);
      if (!row) continue;
      const age = now - row.lastHeartbeatAt;
      tr.dataset.state = format.heartbeatState(age, heartbeatMs, evictAfter);
      tr.querySelector(".age")!.textContent = format.formatAge(age);
      tr.querySelector(".since time")!.textContent = format.formatDuration(now - row.connectedAt);
    }
  }

  // ---- the cluster panel ------------------------------------------------------

  function renderCluster(cluster: LiveCluster | undefined): void {
    const table = document.getElementById("instances");
    if (!cluster || !table) return;
    const engine = document.getElementById("engine");
    if (engine) {
      engine.dataset.state = cluster.engine.status;
      engine.textContent = cluster.engine.status === "up" ? "engine up" : "engine down";
    }
    const reason = document.getElementById("engine-reason");
    if (reason) {
      reason.hidden = cluster.engine.status === "up";
      reason.textContent = cluster.engine.status === "up"
        ? ""
        : `Redis does not answer (${
          cluster.engine.reason ?? "no reason given"
        }): peers held here are still served; new registrations are refused until it is back.`;
    }
    const epoch = document.getElementById("list-epoch");
    if (epoch) epoch.textContent = cluster.list.epoch;
    table.replaceChildren(...cluster.instances.map((instance) => {
      const tr = document.createElement("tr");
      tr.dataset.name = instance.name;
      tr.dataset.healthy = String(instance.healthy);
      tr.dataset.self = String(instance.name === cluster.instance);
      const name = cell(instance.name, "name");
      if (instance.name === cluster.instance) {
        const self = document.createElement("span");
        self.className = "hint";
        self.textContent = " (this one)";
        name.append(self);
      }
      tr.append(
        name,
        cell(instance.address, "address"),
        cell(String(instance.peers), "peers"),
        cell(format.formatAge(instance.lastSeenMs), "seen"),
        cell(instance.healthy ? "yes" : "no", "healthy"),
      );
      return tr;
    }));
  }

  // ---- kicking ----------------------------------------------------------------

  function renderKickButtons(): void {
    if (!tbody) return;
    for (const tr of tbody.rows) {
      const actions = tr.querySelector(".actions")!;
      const button = actions.querySelector("button");
      if (!token) {
        button?.remove();
        continue;
      }
      if (button) continue;
      const kick = document.createElement("button");
      kick.type = "button";
      kick.className = "kick";
      kick.textContent = "Kick";
      kick.title = `Disconnect ${tr.dataset.name}`;
      kick.setAttribute("aria-label", `Kick ${tr.dataset.name}`);
      kick.addEventListener("click", () => void kickPeer(tr.dataset.id!, tr.dataset.name!, kick));
      actions.append(kick);
    }
  }

  async function kickPeer(id: string, name: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    const response = await fetch(`/api/peers/${encodeURIComponent(id)}/kick`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
    });
    if (response.status === 401) {
      setToken("");
      say(`The admin token was refused; enter it again.`, true);
    } else if (response.status === 404) {
      say(`${name} is already gone.`, false);
    } else if (response.status === 503) {
      say(`Kick failed: the cluster engine is down.`, true);
    } else if (response.ok) {
      say(`Kicked ${name}.`, false);
    } else {
      say(`Kick failed: HTTP ${response.status}.`, true);
    }
    button.disabled = false;
  }

  function setToken(value: string): void {
    token = value;
    if (value) sessionStorage.setItem("p2pchat-admin-token", value);
    else sessionStorage.removeItem("p2pchat-admin-token");
    if (tokenInput) tokenInput.value = "";
    if (tokenInput) tokenInput.placeholder = value ? "Token entered" : "Admin token";
    renderKickButtons();
  }

  function say(text: string, isError: boolean): void {
    if (!tokenStatus) return;
    tokenStatus.textContent = text;
    tokenStatus.dataset.error = String(isError);
  }

  // ---- events --------------------------------------------------------------------

  function addLogEntry(
    entry: {
      at: string;
      kind: string;
      id?: string;
      name?: string;
      address?: string;
      detail?: string;
    },
  ): void {
    if (!events) return;
    const li = document.createElement("li");
    li.dataset.kind = entry.kind;
    const time = document.createElement("time");
    time.dateTime = entry.at;
    time.textContent = format.formatClock(Date.parse(entry.at));
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = entry.kind;
    li.append(time, " ", kind, " ");
    if (entry.name !== undefined) {
      const strong = document.createElement("strong");
      strong.textContent = entry.name;
      li.append(strong, " ");
    }
    if (entry.id !== undefined) {
      const code = document.createElement("code");
      code.title = entry.id;
      code.textContent = entry.id.slice(0, 8);
      li.append(code, " ");
    }
    for (const [value, className] of [[entry.address, "address"], [entry.detail, "detail"]]) {
      if (!value) continue;
      const span = document.createElement("span");
      span.className = className!;
      span.textContent = value;
      li.append(span, " ");
    }
    events.prepend(li);
    while (events.children.length > 100) events.lastElementChild!.remove();
  }

  function updateStats(stats: Record<string, unknown>): void {
    for (const el of document.querySelectorAll<HTMLElement>("[data-stat]")) {
      let value: unknown = stats;
      for (const part of el.dataset.stat!.split(".")) {
        value = (value as Record<string, unknown>)?.[part];
      }
      if (typeof value === "number") el.textContent = String(value);
    }
  }

  function connect(): void {
    const source = new EventSource("/api/events");
    const handle = (type: string, fn: (data: Record<string, unknown>) => void) =>
      source.addEventListener(type, (event) => {
        const data = JSON.parse((event as MessageEvent).data);
        if (typeof data.now === "number") skew = data.now - Date.now();
        fn(data);
      });
    handle("hello", (data) => {
      rows.clear();
      for (const peer of data.peers as LivePeer[]) rows.set(peer.id, fromJson(peer));
      updateStats(data.stats as Record<string, unknown>);
      renderCluster(data.cluster as LiveCluster | undefined);
      setLive("live", "Live: updates as they happen");
      render();
    });
    handle("peer_joined", (data) => {
      const peer = data.peer as LivePeer;
      rows.set(peer.id, fromJson(peer));
      render();
    });
    handle("peer_updated", (data) => {
      const peer = data.peer as LivePeer;
      rows.set(peer.id, fromJson(peer));
      render();
    });
    handle("peer_left", (data) => {
      rows.delete((data.peer as LivePeer).id);
      render();
    });
    handle("log", (data) => addLogEntry(data as never));
    // The registry draws the chart; here its new paths and labels are only put in place.
    handle("chart", (data) => {
      for (const [id, d] of Object.entries(data.paths as Record<string, string>)) {
        document.getElementById(id)?.setAttribute("d", d);
      }
      for (const [id, text] of Object.entries(data.texts as Record<string, string>)) {
        const el = document.getElementById(id);
        if (el) el.textContent = text;
      }
    });
    handle("stats", (data) => updateStats(data.stats as Record<string, unknown>));
    handle("tick", (data) => {
      for (const [id, at] of Object.entries(data.beats as Record<string, number>)) {
        const row = rows.get(id);
        if (row) row.lastHeartbeatAt = at;
      }
      updateStats(data.stats as Record<string, unknown>);
      renderCluster(data.cluster as LiveCluster | undefined);
      tick();
    });
    source.onopen = () => setLive("live", "Live: updates as they happen");
    source.onerror = () => {
      // EventSource retries by itself, sending the last event ID, and the
      // registry resumes from there (or says hello with everything).
      setLive("lost", "Connection to the registry lost — reconnecting…");
      // A refusal (503: too many dashboards open) ends it for good: retry later.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, 5000 + Math.random() * 5000);
      }
    };
  }

  function setLive(state: string, title: string): void {
    live.dataset.state = state;
    live.title = title;
    live.textContent = state === "live" ? "live" : "reconnecting…";
  }

  // ---- wiring ----------------------------------------------------------------------

  // Clicking a short ID copies the full one (it is also in the tooltip).
  tbody?.addEventListener("click", async (event) => {
    const code = (event.target as HTMLElement).closest<HTMLElement>("td.id code");
    if (!code?.title) return;
    try {
      await navigator.clipboard.writeText(code.title);
      code.dataset.copied = "true";
      setTimeout(() => delete code.dataset.copied, 1200);
    } catch {
      // No clipboard access (an insecure origin or a refusal): the tooltip still shows it.
    }
  });

  for (const tr of tbody ? [...tbody.rows] : []) {
    rows.set(tr.dataset.id!, {
      peer: {
        id: tr.dataset.id!,
        name: tr.dataset.name!,
        address: tr.querySelector(".address")!.textContent!,
        version: tr.querySelector(".version")!.textContent!,
        reconnects: Number(tr.querySelector(".reconnects")!.textContent),
        instance: tr.querySelector(".instance")?.textContent ?? undefined,
      },
      connectedAt: Number(tr.dataset.connectedAt),
      lastHeartbeatAt: Number(tr.dataset.lastHeartbeatAt),
    });
  }
  for (const th of document.querySelectorAll<HTMLElement>("th[data-sort]")) {
    th.querySelector("a")?.addEventListener("click", (event) => {
      event.preventDefault();
      if (sortKey === th.dataset.sort) descending = !descending;
      else [sortKey, descending] = [th.dataset.sort!, false];
      render();
    });
  }
  filter?.addEventListener("input", render);
  filter?.form?.addEventListener("submit", (event) => event.preventDefault());
  if (tokenForm && tokenInput) {
    tokenForm.hidden = false;
    tokenForm.addEventListener("submit", (event) => {
      event.preventDefault();
      setToken(tokenInput.value.trim());
      say(token ? "Kick enabled." : "", false);
    });
    if (token) setToken(token);
  }
  if (tbody) {
    render();
    connect();
    setInterval(tick, 250);
  }
}
