/// <reference lib="dom" />
/**
 * The chat window's file transfers, in the browser: the 📎 button and
 * drag-and-drop onto the conversation upload a file to the peer, which
 * offers it to the open conversation's contact; offers get Accept and
 * Decline; progress bars follow `file_progress` over the peer's event
 * stream. Sent as source text like the chat script: self-contained, and
 * peer-supplied text is only set with `textContent`.
 */

import type { readEventStream } from "./event_stream.ts";

/** What the script is given. */
export interface FilesClientDeps {
  readEventStream: typeof readEventStream;
}

/** Runs in the browser. */
export function filesClient(deps: FilesClientDeps): void {
  interface Transfer {
    id: string;
    direction: "in" | "out";
    peer: { id: string; name: string };
    name: string;
    size: number;
    status: "offered" | "transferring" | "done" | "failed" | "declined";
    bytes: number;
    reason?: string;
  }
  const WORDS: Record<string, string> = {
    offered: "waiting for an answer",
    transferring: "transferring",
    done: "done",
    failed: "failed",
    declined: "declined",
  };
  const SHOWN = 5;
  const panel = document.getElementById("files")!;
  const list = document.getElementById("transfers") as HTMLUListElement;
  const compose = document.getElementById("compose") as HTMLFormElement;
  const toInput = compose.querySelector<HTMLInputElement>('input[name="to"]')!;
  const attach = document.getElementById("attach") as HTMLButtonElement;
  const picker = document.getElementById("attach-file") as HTMLInputElement;
  const conversation = document.querySelector<HTMLElement>(".conversation")!;
  const token = document.querySelector<HTMLInputElement>('#nav input[name="session"]')!.value;
  const auth = { Authorization: `Bearer ${token}` };
  let transfers: Transfer[] = [];
  let shownFor = "";

  function selected(): string {
    return toInput.value;
  }

  /** Everyone and the rooms: a file goes to one person, so none is attached there. */
  function isGroup(conversation: string): boolean {
    return conversation === "*" || conversation.startsWith("room:");
  }

  function size(bytes: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
  }

  function say(text: string): void {
    const announcer = document.getElementById("announcer");
    if (announcer) announcer.textContent = text;
  }

  async function post(path: string, body: BodyInit, type: string): Promise<unknown> {
    const response = await fetch(path, {
      method: "POST",
      headers: { ...auth, "Content-Type": type },
      body,
    });
    const json = await response.json();
    if (!response.ok) throw new Error(json.error ?? `HTTP ${response.status}`);
    return json;
  }

  async function refresh(): Promise<void> {
    const response = await fetch("/api/files", { headers: auth, cache: "no-store" });
    if (!response.ok) return;
    transfers = (await response.json()).transfers;
    render();
  }

  function span(className: string, text: string): HTMLSpanElement {
    const el = document.createElement("span");
    el.className = className;
    el.textContent = text;
    return el;
  }

  function item(t: Transfer): HTMLLIElement {
    const li = document.createElement("li");
    li.className = "transfer";
    li.dataset.id = t.id;
    li.dataset.status = t.status;
    const name = span("file-name", ` ${t.name}`);
    const clip = span("", "📎");
    clip.setAttribute("aria-hidden", "true");
    name.prepend(clip);
    const status = span(
      "file-status",
      `${t.direction === "in" ? "from" : "to"} ${t.peer.name}: ${WORDS[t.status]}` +
        (t.reason ? ` (${t.reason})` : ""),
    );
    const bar = document.createElement("progress");
    bar.max = Math.max(1, t.size);
    bar.value = t.status === "done" ? bar.max : t.bytes;
    bar.setAttribute("aria-label", `${t.name}: ${Math.floor((bar.value / bar.max) * 100)}%`);
    li.append(name, " ", span("file-size", size(t.size)), " ", status, bar);
    if (t.direction === "in" && t.status === "offered") {
      const answer = document.createElement("div");
      answer.className = "file-answer";
      for (const [action, label] of [["accept", "Accept"], ["decline", "Decline"]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = action;
        button.textContent = label;
        button.addEventListener("click", () => {
          button.disabled = true;
          post(`/api/files/${action}`, JSON.stringify({ id: t.id }), "application/json")
            .then(refresh, (error) => {
              button.disabled = false;
              say(String((error as Error).message));
            });
        });
        answer.append(button);
      }
      li.append(answer);
    }
    return li;
  }

  function render(): void {
    const peer = selected();
    shownFor = peer;
    const shown = transfers.filter((t) => t.peer.id === peer).slice(0, SHOWN);
    list.replaceChildren(...shown.map(item));
    panel.hidden = shown.length === 0;
    attach.hidden = isGroup(peer);
  }

  function progress(id: string, bytes: number, total: number): void {
    const t = transfers.find((x) => x.id === id);
    if (t) t.bytes = bytes;
    const bar = list.querySelector<HTMLProgressElement>(`li[data-id="${id}"] progress`);
    if (!bar) return;
    bar.max = Math.max(1, total);
    bar.value = bytes;
    bar.setAttribute("aria-label", `${t?.name ?? "file"}: ${Math.floor((bytes / bar.max) * 100)}%`);
  }

  async function upload(files: FileList | File[]): Promise<void> {
    const to = selected();
    if (isGroup(to)) {
      say("Files go to one person: open a conversation first");
      return;
    }
    for (const file of Array.from(files)) {
      const query = `to=${encodeURIComponent(to)}&name=${encodeURIComponent(file.name)}`;
      try {
        await post(`/api/files?${query}`, file, "application/octet-stream");
        say(`Offered ${file.name}`);
      } catch (error) {
        say(`Not sent: ${(error as Error).message}`);
      }
    }
    await refresh();
  }

  attach.addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    if (picker.files) upload(picker.files).finally(() => picker.value = "");
  });
  conversation.addEventListener("dragover", (event) => {
    if (!event.dataTransfer?.types.includes("Files") || isGroup(selected())) return;
    event.preventDefault();
    conversation.classList.add("dropping");
  });
  conversation.addEventListener("dragleave", () => conversation.classList.remove("dropping"));
  conversation.addEventListener("drop", (event) => {
    conversation.classList.remove("dropping");
    if (!event.dataTransfer?.files.length) return;
    event.preventDefault();
    upload(event.dataTransfer.files);
  });
  // The forms of the first paint work without JavaScript; with it, the buttons call the API.
  for (const form of list.querySelectorAll("form")) form.remove();
  refresh();
  // The chat script switches conversations without a reload: follow it.
  setInterval(() => {
    if (selected() !== shownFor) render();
  }, 300);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const controller = new AbortController();
  async function listen(): Promise<void> {
    while (true) {
      try {
        const status = await deps.readEventStream("/api/events", auth, controller.signal, {
          onOpen: () => {},
          onEvent: (name, data) => {
            if (!name.startsWith("file_")) return;
            const event = JSON.parse(data);
            if (name === "file_progress") return progress(event.id, event.bytes, event.size);
            // Anything else changes a status: fetch the list (once per burst).
            clearTimeout(timer);
            timer = setTimeout(refresh, 100);
          },
        });
        if (status === 401) return;
      } catch {
        // the peer restarted or the network blinked: try again shortly
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  listen();
}
