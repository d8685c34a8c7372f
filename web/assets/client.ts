/// <reference lib="dom" />
/**
 * The chat window's browser script. The server renders the first paint; this
 * keeps it live from `/api/events` (the peer's own event stream), sends with
 * Enter (Shift-Enter for a new line), loads older messages when scrolled to
 * the top, marks what is on screen as read, and shows ticks, badges and
 * banners as events arrive.
 *
 * It is sent as source text (`chatClient.toString()`), so it must not import
 * anything or use anything outside its own body. Peer-supplied text is only
 * ever set with `textContent`.
 */

/** Runs in the browser. */
export function chatClient(): void {
  interface Info {
    id: string;
    name: string;
    address: string;
  }
  interface Message {
    id: string;
    direction: "in" | "out";
    text: string;
    sentAt: number;
    broadcast: boolean;
    status: string;
    author?: string;
    /** From a key other than the one pinned for the sender's name. */
    unverified?: boolean;
  }
  interface Contact {
    peer: Info;
    online: boolean;
    unread: number;
    pending: number;
  }

  const body = document.body;
  const app = document.querySelector<HTMLElement>(".app")!;
  const list = document.getElementById("contacts") as HTMLUListElement;
  const messagesEl = document.getElementById("messages") as HTMLOListElement;
  const noMessages = document.getElementById("no-messages")!;
  const noContacts = document.getElementById("no-contacts")!;
  const title = document.getElementById("title")!;
  const presence = document.getElementById("presence")!;
  const banners = document.getElementById("banners")!;
  const registryBanner = document.getElementById("registry-banner")!;
  const form = document.getElementById("compose") as HTMLFormElement;
  const textarea = document.getElementById("text") as HTMLTextAreaElement;
  const toInput = form.querySelector<HTMLInputElement>('input[name="to"]')!;

  const MARKS: Record<string, [string, string]> = {
    pending: ["◷", "waiting: recipient offline"],
    sent: ["✓", "sent"],
    delivered: ["✓", "delivered"],
    read: ["✓✓", "read"],
    failed: ["✗", "not delivered"],
  };
  const contacts = new Map<string, Contact>();
  let selected = body.dataset.selected ?? "*";
  let oldestLoaded: string | undefined;
  let loadingOlder = false;
  let reachedStart = false;
  const pendingRead = new Set<string>();
  /** Messages already shown, by conversation and ID (events may repeat after a reconnect). */
  const seen = new Set<string>();

  // ---- helpers ------------------------------------------------------------------

  async function post<T>(path: string, data: unknown): Promise<T> {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(data),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(json.error ?? `HTTP ${response.status}`);
    return json as T;
  }

  function clock(ms: number): string {
    const d = new Date(ms);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  }

  function toast(text: string): void {
    let el = document.getElementById("toast");
    if (!el) {
      el = document.createElement("div");
      el.id = "toast";
      el.setAttribute("role", "status");
      document.body.append(el);
    }
    el.textContent = text;
    el.hidden = false;
    setTimeout(() => el!.hidden = true, 4000);
  }

  // ---- contacts -----------------------------------------------------------------

  function contactItem(contact: Contact): HTMLLIElement {
    const li = document.createElement("li");
    li.dataset.id = contact.peer.id;
    const a = document.createElement("a");
    a.href = `/?with=${contact.peer.id}`;
    const dot = document.createElement("span");
    dot.className = "dot";
    const name = document.createElement("span");
    name.className = "name";
    const sub = document.createElement("code");
    sub.className = "sub";
    sub.title = contact.peer.id;
    sub.textContent = contact.peer.id.slice(0, 8);
    const pending = document.createElement("span");
    pending.className = "badge pending";
    pending.title = "waiting in the outbox";
    const unread = document.createElement("span");
    unread.className = "badge unread";
    unread.title = "unread";
    a.append(dot, name, sub, pending, unread);
    li.append(a);
    return li;
  }

  function renderContact(contact: Contact): void {
    let li = list.querySelector<HTMLLIElement>(`li[data-id="${contact.peer.id}"]`);
    if (!li) {
      li = contactItem(contact);
      list.append(li);
    }
    li.dataset.online = String(contact.online);
    li.classList.toggle("selected", contact.peer.id === selected);
    li.querySelector(".name")!.textContent = contact.peer.name;
    li.querySelector(".dot")!.setAttribute("aria-label", contact.online ? "online" : "offline");
    const pending = li.querySelector<HTMLElement>(".badge.pending")!;
    pending.textContent = `◷ ${contact.pending}`;
    pending.hidden = contact.pending === 0;
    const unread = li.querySelector<HTMLElement>(".badge.unread")!;
    unread.textContent = contact.unread > 99 ? "99+" : String(contact.unread);
    unread.hidden = contact.unread === 0;
    noContacts.hidden = contacts.size > 0;
  }

  function renderHeader(): void {
    const contact = contacts.get(selected);
    title.textContent = selected === "*" ? "Everyone" : contact?.peer.name ?? "";
    presence.textContent = selected === "*"
      ? "everyone online"
      : contact?.online
      ? "online"
      : "offline";
    presence.dataset.online = String(selected === "*" || (contact?.online ?? false));
    textarea.placeholder = selected === "*"
      ? "Message everyone"
      : `Message ${contact?.peer.name ?? ""}`;
    document.title = `${title.textContent} — p2pchat`;
    for (const li of list.querySelectorAll<HTMLLIElement>("li")) {
      li.classList.toggle("selected", li.dataset.id === selected);
    }
  }

  function upsertContact(peer: Info, online: boolean): Contact {
    const contact = contacts.get(peer.id) ?? { peer, online, unread: 0, pending: 0 };
    contact.peer = peer;
    contact.online = online;
    contacts.set(peer.id, contact);
    renderContact(contact);
    if (peer.id === selected) renderHeader();
    return contact;
  }

  // ---- messages -----------------------------------------------------------------

  function messageItem(message: Message): HTMLLIElement {
    const li = document.createElement("li");
    li.className = `message ${message.direction === "out" ? "mine" : "theirs"}`;
    li.dataset.id = message.id;
    li.dataset.direction = message.direction;
    if ((selected === "*" || message.unverified) && message.direction === "in" && message.author) {
      const author = document.createElement("span");
      author.className = message.unverified ? "author unverified" : "author";
      author.textContent = message.author;
      li.append(author);
    }
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = message.text;
    const meta = document.createElement("span");
    meta.className = "meta";
    const time = document.createElement("time");
    time.dateTime = new Date(message.sentAt).toISOString();
    time.textContent = clock(message.sentAt);
    meta.append(time);
    if (message.direction === "out") {
      const status = document.createElement("span");
      status.className = "status";
      meta.append(status);
    }
    li.append(text, meta);
    setStatus(li, message.status);
    return li;
  }

  function setStatus(li: HTMLElement, status: string): void {
    // Never move backwards: a late "sent" must not undo "read".
    const order = ["pending", "sent", "failed", "delivered", "read"];
    const current = li.dataset.status;
    if (current && order.indexOf(status) < order.indexOf(current) && status !== "failed") return;
    li.dataset.status = status;
    const mark = li.querySelector(".status");
    if (mark) {
      const [symbol, label] = MARKS[status] ?? ["", status];
      mark.textContent = symbol;
      mark.setAttribute("title", label);
    }
  }

  function appendMessage(message: Message): void {
    if (messagesEl.querySelector(`li[data-id="${message.id}"]`)) return;
    const atBottom = messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 80;
    messagesEl.append(messageItem(message));
    noMessages.hidden = true;
    if (atBottom || message.direction === "out") messagesEl.scrollTop = messagesEl.scrollHeight;
    if (message.direction === "in") queueRead(message.id);
  }

  function showConversation(messages: Message[]): void {
    messagesEl.textContent = "";
    for (const message of messages) messagesEl.append(messageItem(message));
    noMessages.hidden = messages.length > 0;
    oldestLoaded = messages[0]?.id;
    reachedStart = messages.length < 50;
    messagesEl.scrollTop = messagesEl.scrollHeight;
    for (const message of messages) {
      if (message.direction === "in" && message.status !== "read") queueRead(message.id);
    }
  }

  async function loadOlder(): Promise<void> {
    if (loadingOlder || reachedStart || !oldestLoaded || selected === "*") return;
    loadingOlder = true;
    try {
      const { messages } = await (await fetch(
        `/api/conversation/${encodeURIComponent(selected)}?before=${oldestLoaded}&limit=50`,
      )).json() as { messages: Message[] };
      reachedStart = messages.length < 50;
      if (messages.length === 0) return;
      const before = messagesEl.scrollHeight;
      const first = messagesEl.firstChild;
      for (const message of messages) messagesEl.insertBefore(messageItem(message), first);
      oldestLoaded = messages[0].id;
      messagesEl.scrollTop += messagesEl.scrollHeight - before; // keep the view where it was
    } finally {
      loadingOlder = false;
    }
  }

  /** Marks messages read once they are on screen in a visible window. */
  function queueRead(id: string): void {
    pendingRead.add(id);
    flushReads();
  }

  let readTimer: ReturnType<typeof setTimeout> | undefined;
  function flushReads(): void {
    if (
      document.visibilityState !== "visible" || pendingRead.size === 0 || readTimer !== undefined
    ) return;
    readTimer = setTimeout(async () => {
      readTimer = undefined;
      const ids = [...pendingRead];
      pendingRead.clear();
      const contact = contacts.get(selected);
      if (contact) {
        contact.unread = 0;
        renderContact(contact);
      }
      await post("/api/read", { ids }).catch(() => ids.forEach((id) => pendingRead.add(id)));
    }, 150);
  }

  async function select(id: string, push = true): Promise<void> {
    selected = id;
    toInput.value = id;
    app.classList.add("chatting");
    renderHeader();
    if (push) history.pushState({ id }, "", `/?with=${encodeURIComponent(id)}`);
    await loadConversation(id);
  }

  async function loadConversation(id: string): Promise<void> {
    const { messages } = await (await fetch(`/api/conversation/${encodeURIComponent(id)}?limit=50`))
      .json();
    if (selected !== id) return;
    showConversation(messages);
    const contact = contacts.get(id);
    if (contact) {
      contact.unread = 0;
      renderContact(contact);
    }
  }

  // ---- banners --------------------------------------------------------------------

  function keyChangedBanner(name: string, newId: string): void {
    if (banners.querySelector(`[data-key-change="${CSS.escape(name)}"]`)) return;
    const p = document.createElement("p");
    p.className = "banner danger";
    p.dataset.keyChange = name;
    const text = document.createElement("span");
    text.textContent = `${name} now has a different key (${
      newId.slice(0, 8)
    }). Nothing is delivered until you trust it — check with them first.`;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Trust ${name}'s new key`;
    button.addEventListener("click", async () => {
      button.disabled = true;
      // The ID shown, so that trust cannot go to a key that took the name since.
      await post("/api/trust", { name, id: newId }).catch((error) => toast(error.message));
    });
    p.append(text, button);
    banners.append(p);
  }

  // ---- events -----------------------------------------------------------------------

  function onEvent(event: Record<string, unknown> & { event: string }): void {
    switch (event.event) {
      case "message": {
        const from = event.from as Info;
        const message: Message = {
          id: event.id as string,
          direction: "in",
          text: event.text as string,
          sentAt: event.sentAt as number,
          broadcast: event.broadcast as boolean,
          status: "delivered",
          author: event.unverified
            ? `${from.name} (unverified key ${from.id.slice(0, 8)})`
            : from.name,
          unverified: event.unverified === true,
        };
        const conversation = message.broadcast ? "*" : from.id;
        const contact = contacts.get(from.id) ?? upsertContact(from, true);
        if (seen.has(`${conversation}/${message.id}`)) return;
        seen.add(`${conversation}/${message.id}`);
        if (conversation === selected) appendMessage(message);
        else if (!message.broadcast) {
          contact.unread++;
          renderContact(contact);
        }
        return;
      }
      case "sent":
      case "pending":
      case "delivered":
      case "read":
      case "failed": {
        const to = event.to as Info;
        const contact = contacts.get(to.id);
        const li = messagesEl.querySelector<HTMLElement>(`li[data-id="${event.id}"]`);
        if (li && (selected === to.id || selected === "*")) setStatus(li, event.event);
        if (
          contact &&
          (event.event === "pending" || event.event === "delivered" || event.event === "failed")
        ) {
          // Badge counts come from the server, which knows the whole outbox.
          refreshState();
        }
        if (event.event === "failed") toast(`Not delivered to ${to.name}: ${event.reason}`);
        return;
      }
      case "peers":
        for (const contact of contacts.values()) contact.online = false;
        for (const peer of event.peers as Info[]) upsertContact(peer, true);
        for (const contact of contacts.values()) renderContact(contact);
        renderHeader();
        return;
      case "peer_joined":
        upsertContact(event.peer as Info, true);
        return;
      case "peer_left":
        upsertContact(event.peer as Info, false);
        return;
      case "registry_lost":
        registryBanner.hidden = false;
        return;
      case "registered":
        registryBanner.hidden = true;
        return;
      case "key_changed":
        keyChangedBanner(event.name as string, event.newId as string);
        return;
      case "trusted":
        banners.querySelector(`[data-key-change="${CSS.escape((event.peer as Info).name)}"]`)
          ?.remove();
        return;
      case "error":
        toast(event.message as string);
        return;
    }
  }

  let refreshing: Promise<void> | undefined;
  function refreshState(): void {
    refreshing ??= (async () => {
      const state = await (await fetch("/api/state")).json() as {
        contacts: Contact[];
        registered: boolean;
      };
      for (const contact of state.contacts) {
        const known = contacts.get(contact.peer.id);
        contacts.set(contact.peer.id, {
          ...contact,
          unread: known ? known.unread : contact.unread,
        });
        renderContact(contacts.get(contact.peer.id)!);
      }
      registryBanner.hidden = state.registered;
      renderHeader();
    })().finally(() => refreshing = undefined);
  }

  function connect(): void {
    const source = new EventSource("/api/events");
    const names = [
      "message",
      "sent",
      "pending",
      "delivered",
      "read",
      "failed",
      "peers",
      "peer_joined",
      "peer_left",
      "registry_lost",
      "registered",
      "key_changed",
      "trusted",
      "error",
    ];
    for (const name of names) {
      source.addEventListener(name, (e) => {
        // The stream's own connection errors are also called "error": they carry no data.
        const data = (e as MessageEvent).data;
        if (typeof data === "string") onEvent(JSON.parse(data));
      });
    }
    source.addEventListener("hello", () => {
      body.dataset.live = "true";
      // After a reconnect, catch up on what happened while the stream was down.
      refreshState();
      void loadConversation(selected);
    });
    source.onerror = () => body.dataset.live = "false";
  }

  // ---- wiring -------------------------------------------------------------------------

  for (const li of list.querySelectorAll<HTMLLIElement>("li[data-id]")) {
    const id = li.dataset.id!;
    if (id !== "*") {
      contacts.set(id, {
        peer: { id, name: li.querySelector(".name")!.textContent ?? id, address: "" },
        online: li.dataset.online === "true",
        unread: Number(li.querySelector(".badge.unread")?.textContent) || 0,
        pending: 0,
      });
    }
  }
  list.addEventListener("click", (event) => {
    const li = (event.target as HTMLElement).closest<HTMLLIElement>("li[data-id]");
    if (!li) return;
    event.preventDefault();
    void select(li.dataset.id!);
  });
  document.querySelector(".back")?.addEventListener("click", (event) => {
    event.preventDefault();
    app.classList.remove("chatting");
  });
  addEventListener("popstate", () => {
    const id = new URLSearchParams(location.search).get("with");
    if (id) void select(id, false);
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  textarea.addEventListener("input", () => {
    textarea.style.height = "auto";
    textarea.style.height = `${textarea.scrollHeight}px`;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = textarea.value;
    if (!text.trim()) return;
    textarea.value = "";
    textarea.style.height = "auto";
    try {
      const { id } = await post<{ id: string }>("/api/send", { to: selected, text });
      appendMessage({
        id,
        direction: "out",
        text,
        sentAt: Date.now(),
        broadcast: selected === "*",
        status: "pending",
      });
    } catch (error) {
      textarea.value = text;
      toast((error as Error).message);
    }
  });
  messagesEl.addEventListener("scroll", () => {
    if (messagesEl.scrollTop < 60) void loadOlder();
  });
  document.addEventListener("visibilitychange", flushReads);
  for (const li of messagesEl.querySelectorAll<HTMLElement>("li[data-id]")) {
    if (li.classList.contains("theirs") && li.dataset.status !== "read") queueRead(li.dataset.id!);
  }
  oldestLoaded = messagesEl.querySelector<HTMLElement>("li[data-id]")?.dataset.id;
  reachedStart = messagesEl.children.length < 50;
  messagesEl.scrollTop = messagesEl.scrollHeight;
  if (new URLSearchParams(location.search).has("with")) app.classList.add("chatting");
  connect();
}
