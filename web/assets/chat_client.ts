/// <reference lib="dom" />
/**
 * The chat window's browser script. The server renders the first paint; this
 * keeps it live from `/api/events` (the peer's own event stream), sends with
 * Enter (Shift-Enter for a new line), loads older messages when scrolled to
 * the top, marks what is on screen as read, and shows ticks, badges, banners,
 * the unread count in the tab title and, if the user asks for them, desktop
 * notifications. It passes each event and each conversation it opens on to
 * the page's other scripts as `p2pchat:event` and `p2pchat:select` on the
 * document.
 *
 * The tab's session token comes in the page's forms; the script keeps it in
 * `sessionStorage` (per tab, per origin) for reloads and sends it as a bearer
 * token on every request. It is sent as source text (`chatClient.toString()`),
 * so it must not import anything or use anything outside its own body and
 * its argument. Peer-supplied text is only ever set with `textContent`.
 */

import type { readEventStream } from "./event_stream.ts";

/** What the script is given. */
export interface ChatClientDeps {
  readEventStream: typeof readEventStream;
}

/** Runs in the browser. */
export function chatClient(deps: ChatClientDeps): void {
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
    /** The path of the open link: direct, punched or relayed. */
    link?: string;
    unread: number;
    pending: number;
  }
  /** A room, by its conversation key `room:ID`. */
  interface Room {
    key: string;
    name: string;
    members: number;
    unread: number;
  }
  interface KeyChange {
    name: string;
    oldId: string;
    newId: string;
  }

  const SESSION_KEY = "p2pchat-session";
  const NOTIFY_KEY = "p2pchat-notify";
  const body = document.body;
  const app = document.querySelector<HTMLElement>(".app")!;
  const list = document.getElementById("contacts") as HTMLUListElement;
  const nav = document.getElementById("nav") as HTMLFormElement;
  const messagesEl = document.getElementById("messages") as HTMLOListElement;
  const noMessages = document.getElementById("no-messages")!;
  const noContacts = document.getElementById("no-contacts")!;
  const title = document.getElementById("title")!;
  const presence = document.getElementById("presence")!;
  const peerId = document.querySelector<HTMLElement>(".peer-id")!;
  const banners = document.getElementById("banners")!;
  const registryBanner = document.getElementById("registry-banner")!;
  const announcer = document.getElementById("announcer")!;
  const notifyButton = document.getElementById("notify") as HTMLButtonElement;
  const form = document.getElementById("compose") as HTMLFormElement;
  const textarea = document.getElementById("text") as HTMLTextAreaElement;
  const toInput = form.querySelector<HTMLInputElement>('input[name="to"]')!;

  const token = nav.querySelector<HTMLInputElement>('input[name="session"]')!.value;
  sessionStorage.setItem(SESSION_KEY, token);

  const MARKS: Record<string, [string, string]> = {
    sending: ["…", "sending"],
    pending: ["◷", "waiting: recipient offline"],
    sent: ["✓", "sent"],
    delivered: ["✓", "delivered"],
    read: ["✓✓", "read"],
    failed: ["✗", "not delivered"],
    refused: ["◷", "waiting: the recipient takes no more from you for now"],
  };
  // Never move backwards: a late "sent" must not undo "read".
  const STATUS_ORDER = ["sending", "pending", "sent", "refused", "failed", "delivered", "read"];
  const REFUSALS: Record<string, string> = {
    too_many_messages: "too many messages a minute",
    too_many_bytes: "too many bytes a minute",
  };
  /** When each recipient's last "takes no more" toast was shown: one per burst. */
  const refusalToasts = new Map<string, number>();
  const contacts = new Map<string, Contact>();
  const rooms = new Map<string, Room>();
  let selected = body.dataset.selected ?? "*";
  let oldestLoaded: string | undefined;
  let loadingOlder = false;
  let reachedStart = false;
  let ended = false;
  const pendingRead = new Set<string>();
  /** Messages already shown, by conversation and ID (events may repeat after a reconnect). */
  const seen = new Set<string>();
  /**
   * The newest status heard for each of our messages, shown or not: a
   * "delivered" may arrive over the stream before the send request returns.
   */
  const statuses = new Map<string, string>();

  // ---- requests -------------------------------------------------------------------

  function auth(): Record<string, string> {
    return { Authorization: `Bearer ${token}` };
  }

  async function api<T>(path: string, data?: unknown): Promise<T> {
    const response = await fetch(path, {
      method: data === undefined ? "GET" : "POST",
      headers: data === undefined ? auth() : { ...auth(), "Content-Type": "application/json" },
      body: data === undefined ? undefined : JSON.stringify(data),
      cache: "no-store",
    });
    const json = await response.json();
    if (response.status === 401) sessionEnded();
    if (!response.ok) throw new Error(json.error ?? `HTTP ${response.status}`);
    return json as T;
  }

  /** The peer no longer knows this tab: say so once, and stop. */
  function sessionEnded(): void {
    if (ended) return;
    ended = true;
    sessionStorage.removeItem(SESSION_KEY);
    body.dataset.live = "false";
    const p = document.createElement("p");
    p.className = "banner danger";
    p.id = "session-ended";
    p.setAttribute("role", "alert");
    p.textContent = "This window's session ended (idle too long, or the peer restarted). " +
      "Open the latest address your peer printed.";
    banners.prepend(p);
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

  function span(className: string, text = ""): HTMLSpanElement {
    const el = document.createElement("span");
    el.className = className;
    el.textContent = text;
    return el;
  }

  /** "Everyone" and the rooms: conversations of many, whose messages show their authors. */
  function isGroup(conversation: string): boolean {
    return conversation === "*" || conversation.startsWith("room:");
  }

  // ---- contacts -----------------------------------------------------------------

  function contactItem(contact: Contact): HTMLLIElement {
    const li = document.createElement("li");
    li.dataset.id = contact.peer.id;
    const button = document.createElement("button");
    button.type = "submit";
    button.setAttribute("form", "nav");
    button.name = "with";
    button.value = contact.peer.id;
    const dot = span("dot");
    dot.setAttribute("aria-hidden", "true");
    const sub = span("sub");
    const code = document.createElement("code");
    code.title = contact.peer.id;
    code.textContent = contact.peer.id.slice(0, 8);
    sub.append(span("presence-word"), " ", code, " ", span("link-path"));
    const pending = span("badge pending");
    const clockMark = span("", "◷");
    clockMark.setAttribute("aria-hidden", "true");
    pending.append(clockMark, " ", span("count"), span("visually-hidden", "waiting"));
    const unread = span("badge unread");
    unread.append(span("count"), span("visually-hidden", "unread"));
    button.append(dot, span("name"), sub, pending, unread);
    li.append(button);
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
    li.querySelector(".presence-word")!.textContent = contact.online ? "online" : "offline";
    const path = li.querySelector<HTMLElement>(".link-path")!;
    path.textContent = contact.link ?? "";
    path.hidden = !contact.online || !contact.link;
    const pending = li.querySelector<HTMLElement>(".badge.pending")!;
    pending.querySelector(".count")!.textContent = String(contact.pending);
    pending.hidden = contact.pending === 0;
    const unread = li.querySelector<HTMLElement>(".badge.unread")!;
    unread.querySelector(".count")!.textContent = contact.unread > 99
      ? "99+"
      : String(contact.unread);
    unread.hidden = contact.unread === 0;
    noContacts.hidden = contacts.size > 0;
    renderTitle();
  }

  function renderTitle(): void {
    let unread = 0;
    for (const contact of contacts.values()) unread += contact.unread;
    for (const room of rooms.values()) unread += room.unread;
    const room = rooms.get(selected);
    const name = selected === "*"
      ? "Everyone"
      : room
      ? `#${room.name}`
      : contacts.get(selected)?.peer.name ?? "p2pchat";
    document.title = `${unread > 0 ? `(${unread}) ` : ""}${name} — p2pchat`;
  }

  function renderHeader(): void {
    const contact = contacts.get(selected);
    const room = rooms.get(selected);
    title.textContent = selected === "*"
      ? "Everyone"
      : room
      ? `#${room.name}`
      : contact?.peer.name ?? "";
    presence.textContent = selected === "*"
      ? "everyone online"
      : room
      ? `${room.members} members`
      : contact?.online
      ? "online"
      : "offline";
    presence.dataset.online = String(isGroup(selected) || (contact?.online ?? false));
    peerId.hidden = !contact;
    peerId.textContent = contact ? contact.peer.id.slice(0, 8) : "";
    if (contact) peerId.title = contact.peer.id;
    else peerId.removeAttribute("title");
    messagesEl.setAttribute("aria-label", `Messages with ${title.textContent}`);
    noMessages.textContent = selected === "*"
      ? "Say something to everyone online."
      : "No messages yet.";
    textarea.placeholder = selected === "*"
      ? "Message everyone"
      : `Message ${room ? `#${room.name}` : contact?.peer.name ?? ""}`;
    for (const li of list.querySelectorAll<HTMLLIElement>("li")) {
      const isSelected = li.dataset.id === selected;
      li.classList.toggle("selected", isSelected);
      const button = li.querySelector("button")!;
      if (isSelected) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
    renderTitle();
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

  // ---- rooms ----------------------------------------------------------------------

  function renderRoom(room: Room): void {
    let li = list.querySelector<HTMLLIElement>(`li[data-id="${room.key}"]`);
    if (!li) {
      li = document.createElement("li");
      li.dataset.id = room.key;
      li.dataset.room = "";
      const button = document.createElement("button");
      button.type = "submit";
      button.setAttribute("form", "nav");
      button.name = "with";
      button.value = room.key;
      const mark = span("dot room", "#");
      mark.setAttribute("aria-hidden", "true");
      const unread = span("badge unread");
      unread.append(span("count"), span("visually-hidden", "unread"));
      button.append(mark, span("name"), span("sub"), unread);
      li.append(button);
      // Rooms come after "Everyone" and the other rooms, before the contacts.
      const rest = list.querySelector("li:not([data-room]):not([data-id='*'])");
      list.insertBefore(li, rest);
    }
    li.classList.toggle("selected", room.key === selected);
    li.querySelector(".name")!.textContent = room.name;
    li.querySelector(".sub")!.textContent = `${room.members} members`;
    const unread = li.querySelector<HTMLElement>(".badge.unread")!;
    unread.querySelector(".count")!.textContent = room.unread > 99 ? "99+" : String(room.unread);
    unread.hidden = room.unread === 0;
    renderTitle();
  }

  function upsertRoom(key: string, name: string, members: number, left: boolean): void {
    if (left) {
      rooms.delete(key);
      list.querySelector(`li[data-id="${key}"]`)?.remove();
      // Out of the room on screen: nothing more can be said in it.
      if (key === selected) void select("*");
      renderTitle();
      return;
    }
    const room = rooms.get(key) ?? { key, name, members, unread: 0 };
    room.name = name;
    room.members = members;
    rooms.set(key, room);
    renderRoom(room);
    if (key === selected) renderHeader();
  }

  // ---- messages -----------------------------------------------------------------

  function messageItem(message: Message): HTMLLIElement {
    const li = document.createElement("li");
    li.className = `message ${message.direction === "out" ? "mine" : "theirs"}`;
    li.dataset.id = message.id;
    if ((isGroup(selected) || message.unverified) && message.direction === "in" && message.author) {
      li.append(span(message.unverified ? "author unverified" : "author", message.author));
    }
    if (selected !== "*" && message.broadcast) {
      const tag = document.createElement("span");
      tag.className = "broadcast";
      tag.textContent = "to everyone";
      li.append(tag);
    }
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = message.text;
    const meta = span("meta");
    const time = document.createElement("time");
    time.dateTime = new Date(message.sentAt).toISOString();
    time.textContent = clock(message.sentAt);
    meta.append(time);
    if (message.direction === "out") {
      const status = span("status");
      status.setAttribute("role", "img");
      meta.append(status);
    }
    li.append(text, meta);
    setStatus(li, message.status);
    const heard = statuses.get(message.id);
    if (heard) setStatus(li, heard);
    return li;
  }

  function setStatus(li: HTMLElement, status: string): void {
    const current = li.dataset.status;
    if (
      current && STATUS_ORDER.indexOf(status) < STATUS_ORDER.indexOf(current) &&
      status !== "failed"
    ) return;
    li.dataset.status = status;
    const mark = li.querySelector(".status");
    if (mark) {
      const [symbol, label] = MARKS[status] ?? ["", status];
      mark.textContent = symbol;
      mark.setAttribute("title", label);
      mark.setAttribute("aria-label", label);
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
    // Everyone is gathered from every conversation: it has no older page of its own.
    if (loadingOlder || reachedStart || !oldestLoaded || selected === "*") return;
    loadingOlder = true;
    const id = selected;
    try {
      const { messages } = await api<{ messages: Message[] }>(
        `/api/conversation/${encodeURIComponent(id)}?before=${oldestLoaded}&limit=50`,
      );
      if (selected !== id) return; // another conversation is on screen now
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

  /** True when the conversation is on screen: the tab is visible and, on a phone, open. */
  function conversationVisible(): boolean {
    return document.visibilityState === "visible" && messagesEl.getClientRects().length > 0;
  }

  /** Marks messages read once they are on screen in a visible window. */
  function queueRead(id: string): void {
    pendingRead.add(id);
    flushReads();
  }

  let readTimer: ReturnType<typeof setTimeout> | undefined;
  function flushReads(): void {
    if (!conversationVisible() || pendingRead.size === 0 || readTimer !== undefined) return;
    readTimer = setTimeout(async () => {
      readTimer = undefined;
      if (!conversationVisible()) return;
      const ids = [...pendingRead];
      pendingRead.clear();
      const contact = contacts.get(selected);
      if (contact) {
        contact.unread = 0;
        renderContact(contact);
      }
      const room = rooms.get(selected);
      if (room) {
        room.unread = 0;
        renderRoom(room);
      }
      await api("/api/read", { ids }).catch(() => ids.forEach((id) => pendingRead.add(id)));
    }, 150);
  }

  async function select(id: string, push = true): Promise<void> {
    selected = id;
    toInput.value = id;
    document.dispatchEvent(new CustomEvent("p2pchat:select", { detail: id }));
    pendingRead.clear();
    app.classList.add("chatting");
    renderHeader();
    if (push) history.pushState({ id }, "", `/?with=${encodeURIComponent(id)}`);
    await loadConversation(id);
    textarea.focus();
  }

  async function loadConversation(id: string): Promise<void> {
    const { messages } = await api<{ messages: Message[] }>(
      `/api/conversation/${encodeURIComponent(id)}?limit=50`,
    );
    if (selected !== id) return;
    showConversation(messages);
  }

  function announce(text: string): void {
    announcer.textContent = text.length > 160 ? `${text.slice(0, 157)}…` : text;
  }

  // ---- banners --------------------------------------------------------------------

  function keyChangedBanner(change: KeyChange): void {
    const existing = banners.querySelector<HTMLElement>(
      `[data-key-change="${CSS.escape(change.name)}"]`,
    );
    if (existing?.dataset.newId === change.newId) return;
    existing?.remove();
    const banner = document.createElement("form");
    banner.className = "banner danger";
    banner.method = "post";
    banner.action = "/trust";
    banner.dataset.keyChange = change.name;
    banner.dataset.newId = change.newId;
    const text = document.createElement("span");
    const now = document.createElement("code");
    now.textContent = change.newId.slice(0, 8);
    const was = document.createElement("code");
    was.textContent = change.oldId.slice(0, 8);
    text.append(
      `${change.name} now has a different key (`,
      now,
      ", was ",
      was,
      "). Nothing is delivered until you trust it — check with them first.",
    );
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = `Trust ${change.name}'s new key`;
    banner.append(text, button);
    banners.append(banner);
    wireTrust(banner);
  }

  /** The Trust button trusts exactly the key it showed. */
  function wireTrust(banner: HTMLFormElement): void {
    banner.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = banner.querySelector("button")!;
      button.disabled = true;
      try {
        await api("/api/trust", { name: banner.dataset.keyChange, id: banner.dataset.newId });
      } catch (error) {
        button.disabled = false;
        toast((error as Error).message);
      }
    });
  }

  function syncKeyChanges(changes: KeyChange[]): void {
    const standing = new Set(changes.map((change) => change.name));
    for (const banner of banners.querySelectorAll<HTMLElement>("[data-key-change]")) {
      if (!standing.has(banner.dataset.keyChange!)) banner.remove();
    }
    for (const change of changes) keyChangedBanner(change);
  }

  // ---- notifications ---------------------------------------------------------------

  let notifying = "Notification" in window && Notification.permission === "granted" &&
    localStorage.getItem(NOTIFY_KEY) === "on";

  function renderNotifyButton(): void {
    notifyButton.hidden = !("Notification" in window);
    notifyButton.setAttribute("aria-pressed", String(notifying));
    notifyButton.textContent = notifying ? "Notifications on" : "Notify me";
  }

  notifyButton.addEventListener("click", async () => {
    if (notifying) {
      notifying = false;
    } else {
      const permission = Notification.permission === "granted"
        ? "granted"
        : await Notification.requestPermission();
      notifying = permission === "granted";
      if (!notifying) toast("Notifications are blocked for this page in the browser's settings.");
    }
    localStorage.setItem(NOTIFY_KEY, notifying ? "on" : "off");
    renderNotifyButton();
  });

  function notify(from: Info, text: string, conversation: string): void {
    if (!notifying || document.visibilityState !== "hidden") return;
    const notification = new Notification(from.name, {
      body: text.slice(0, 200),
      tag: conversation,
    });
    notification.addEventListener("click", () => {
      focus();
      void select(conversation);
    });
  }

  // ---- events -----------------------------------------------------------------------

  function onEvent(event: Record<string, unknown> & { event: string }): void {
    // The page's other scripts (rooms) follow the same stream through the document.
    document.dispatchEvent(new CustomEvent("p2pchat:event", { detail: event }));
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
        const inRoom = event.room as { id: string; name: string } | undefined;
        const conversation = inRoom ? `room:${inRoom.id}` : message.broadcast ? "*" : from.id;
        const contact = contacts.get(from.id) ?? upsertContact(from, true);
        if (seen.has(`${conversation}/${message.id}`)) return;
        seen.add(`${conversation}/${message.id}`);
        const where = inRoom ? ` in #${inRoom.name}` : message.broadcast ? " to everyone" : "";
        announce(`${from.name}${where}: ${message.text}`);
        notify(from, message.text, conversation);
        if (conversation === selected) appendMessage(message);
        const room = rooms.get(conversation);
        const unseen = conversation !== selected || !conversationVisible();
        if (room && unseen) {
          room.unread++;
          renderRoom(room);
        } else if (!inRoom && !message.broadcast && unseen) {
          contact.unread++;
          renderContact(contact);
        }
        return;
      }
      case "room":
        upsertRoom(
          `room:${event.id as string}`,
          event.name as string,
          (event.members as unknown[]).length,
          event.left === true,
        );
        return;
      case "sent":
      case "pending":
      case "delivered":
      case "read":
      case "refused":
      case "failed": {
        const to = event.to as Info;
        const id = event.id as string;
        const heard = statuses.get(id);
        const rank = (s: string | undefined) => s === undefined ? -1 : STATUS_ORDER.indexOf(s);
        if (event.event === "failed" || rank(event.event) > rank(heard)) {
          statuses.set(id, event.event);
        }
        const li = messagesEl.querySelector<HTMLElement>(`li[data-id="${id}"]`);
        if (li && (selected === to.id || isGroup(selected))) setStatus(li, event.event);
        if (
          contacts.has(to.id) &&
          (event.event === "pending" || event.event === "delivered" || event.event === "failed")
        ) {
          // Badge counts come from the server, which knows the whole outbox.
          refreshState();
        }
        if (event.event === "failed") toast(`Not delivered to ${to.name}: ${event.reason}`);
        if (event.event === "refused" && Date.now() - (refusalToasts.get(to.id) ?? 0) > 2000) {
          refusalToasts.set(to.id, Date.now());
          toast(
            `${to.name} takes no more from you for now (${REFUSALS[event.reason as string]}); ` +
              `waiting messages go again in ${Math.ceil((event.retryInMs as number) / 1000)} s`,
          );
        }
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
      case "peer_left": {
        const contact = contacts.get((event.peer as Info).id);
        if (contact) contact.link = undefined;
        upsertContact(event.peer as Info, false);
        return;
      }
      case "link": {
        const contact = contacts.get((event.peer as Info).id);
        if (!contact) return;
        contact.link = event.path as string;
        renderContact(contact);
        return;
      }
      case "registry_lost":
        registryBanner.hidden = false;
        return;
      case "registered":
        registryBanner.hidden = true;
        return;
      case "key_changed":
        keyChangedBanner(event as unknown as KeyChange);
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
      const state = await api<{
        contacts: Contact[];
        rooms: { id: string; name: string; members: unknown[]; unread: number }[];
        registered: boolean;
        keyChanges: KeyChange[];
      }>("/api/state");
      for (const room of state.rooms) {
        const key = `room:${room.id}`;
        const known = rooms.get(key);
        upsertRoom(key, room.name, room.members.length, false);
        if (!known) rooms.get(key)!.unread = room.unread;
        renderRoom(rooms.get(key)!);
      }
      for (const contact of state.contacts) {
        const known = contacts.get(contact.peer.id);
        contacts.set(contact.peer.id, {
          ...contact,
          unread: known ? known.unread : contact.unread,
        });
        renderContact(contacts.get(contact.peer.id)!);
      }
      registryBanner.hidden = state.registered;
      syncKeyChanges(state.keyChanges);
      renderHeader();
    })().catch(() => {}).finally(() => refreshing = undefined);
  }

  async function connect(): Promise<void> {
    let retryMs = 500;
    while (!ended) {
      try {
        const status = await deps.readEventStream(
          "/api/events",
          auth(),
          new AbortController().signal,
          {
            onOpen() {
              retryMs = 500;
            },
            onEvent(name, data) {
              if (name === "hello") {
                body.dataset.live = "true";
                // After a reconnect, catch up on what happened while the stream was down.
                refreshState();
                void loadConversation(selected).catch(() => {});
                return;
              }
              onEvent(JSON.parse(data));
            },
          },
        );
        if (status === 401) sessionEnded();
      } catch {
        // The peer went away or the network blinked: try again below.
      }
      body.dataset.live = "false";
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, 10_000);
    }
  }

  // ---- wiring -------------------------------------------------------------------------

  for (const li of list.querySelectorAll<HTMLLIElement>("li[data-id]")) {
    const id = li.dataset.id!;
    if (li.dataset.room !== undefined) {
      rooms.set(id, {
        key: id,
        name: li.querySelector(".name")!.textContent ?? id,
        members: parseInt(li.querySelector(".sub")?.textContent ?? "", 10) || 0,
        unread: Number(li.querySelector(".badge.unread .count")?.textContent) || 0,
      });
    } else if (id !== "*") {
      contacts.set(id, {
        peer: { id, name: li.querySelector(".name")!.textContent ?? id, address: "" },
        online: li.dataset.online === "true",
        unread: Number(li.querySelector(".badge.unread .count")?.textContent) || 0,
        pending: Number(li.querySelector(".badge.pending .count")?.textContent) || 0,
      });
    }
  }
  nav.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = event.submitter as HTMLButtonElement | null;
    if (!button) return;
    if (button.value === "") app.classList.remove("chatting"); // the phone's back button
    else void select(button.value);
  });
  addEventListener("popstate", () => {
    const id = new URLSearchParams(location.search).get("with");
    if (id) void select(id, false);
    else app.classList.remove("chatting");
  });
  for (const banner of banners.querySelectorAll<HTMLFormElement>("form[data-key-change]")) {
    wireTrust(banner);
  }
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
    const to = selected;
    try {
      const { id } = await api<{ id: string }>("/api/send", { to, text });
      if (selected !== to) return;
      appendMessage({
        id,
        direction: "out",
        text,
        sentAt: Date.now(),
        broadcast: to === "*",
        status: "sending",
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
  addEventListener("resize", flushReads);
  for (const li of messagesEl.querySelectorAll<HTMLElement>("li[data-id]")) {
    if (li.classList.contains("theirs") && li.dataset.status !== "read") queueRead(li.dataset.id!);
  }
  oldestLoaded = messagesEl.querySelector<HTMLElement>("li[data-id]")?.dataset.id;
  reachedStart = messagesEl.children.length < 50;
  messagesEl.scrollTop = messagesEl.scrollHeight;
  // The address bar never shows a secret, and a reload is a plain GET (the
  // locked page's script then posts the token kept above).
  history.replaceState(
    { id: selected },
    "",
    app.classList.contains("chatting") ? `/?with=${encodeURIComponent(selected)}` : "/",
  );
  renderNotifyButton();
  renderTitle();
  void connect();
}
