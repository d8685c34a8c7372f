/// <reference lib="dom" />
/**
 * Making and changing rooms in the browser: the "New room", "Invite" and
 * "Leave" forms go to the API instead of reloading the page, a new room
 * opens once made, and the open room's panel (members, Invite for its
 * creator, Leave) follows the conversation the chat script shows and the
 * room events it passes on (`p2pchat:select`, `p2pchat:event` on the
 * document). Sent as source text like the chat script: self-contained, and
 * names are only ever set with `textContent`.
 */

/** Runs in the browser. */
export function roomsClient(): void {
  interface Member {
    id: string;
    name: string;
  }
  interface Room {
    id: string;
    name: string;
    members: Member[];
    creator: Member;
    left: boolean;
  }
  interface State {
    self: { id: string };
    contacts: { peer: Member }[];
    rooms: Room[];
  }

  const body = document.body;
  const self = body.dataset.selfId ?? "";
  const token = document.querySelector<HTMLInputElement>('#nav input[name="session"]')!.value;
  const newRoom = document.getElementById("new-room") as HTMLDetailsElement;
  const createForm = newRoom.querySelector("form")!;
  const panel = document.getElementById("room-panel")!;
  const members = panel.querySelector(".room-members")!;
  const invite = document.getElementById("room-invite") as HTMLDetailsElement;
  const inviteForm = invite.querySelector("form")!;
  const leaveForm = document.getElementById("room-leave") as HTMLFormElement;
  const rooms = new Map<string, Room>();
  let contacts: Member[] = [];
  let selected = body.dataset.selected ?? "*";

  async function api<T>(path: string, data?: unknown): Promise<T> {
    const response = await fetch(path, {
      method: data === undefined ? "GET" : "POST",
      headers: {
        Authorization: `Bearer ${token}`,
        ...(data === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: data === undefined ? undefined : JSON.stringify(data),
      cache: "no-store",
    });
    const json = await response.json();
    if (!response.ok) throw new Error(json.error ?? `HTTP ${response.status}`);
    return json as T;
  }

  async function refresh(): Promise<void> {
    const state = await api<State>("/api/state");
    contacts = state.contacts.map((c) => c.peer);
    for (const room of state.rooms) rooms.set(room.id, room);
    render();
  }

  function openRoom(): Room | undefined {
    return selected.startsWith("room:") ? rooms.get(selected.slice(5)) : undefined;
  }

  /** The checkboxes of `people`, keeping what was ticked. */
  function fillPick(form: HTMLFormElement, people: Member[]): void {
    const list = form.querySelector<HTMLUListElement>(".pick")!;
    const ticked = new Set(
      [...list.querySelectorAll<HTMLInputElement>("input:checked")].map((box) => box.value),
    );
    list.replaceChildren(...people.map((person) => {
      const li = document.createElement("li");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "member";
      box.value = person.id;
      box.checked = ticked.has(person.id);
      const name = document.createElement("span");
      name.className = "pick-name";
      name.textContent = person.name;
      label.append(box, " ", name);
      li.append(label);
      return li;
    }));
    const hint = form.querySelector<HTMLElement>(".hint");
    if (hint) hint.hidden = people.length > 0;
  }

  function ticked(form: HTMLFormElement): string[] {
    return [...form.querySelectorAll<HTMLInputElement>('input[name="member"]:checked')]
      .map((box) => box.value);
  }

  function say(form: HTMLFormElement, text: string): void {
    form.querySelector(".form-error")!.textContent = text;
  }

  function render(): void {
    fillPick(createForm, contacts);
    const room = openRoom();
    panel.hidden = !room;
    if (!room) return;
    panel.dataset.room = room.id;
    members.textContent = "Members: " +
      room.members.map((m) =>
        (m.id === self ? "you" : m.name) + (m.id === room.creator.id ? " (creator)" : "")
      ).join(", ");
    const candidates = contacts.filter((c) => !room.members.some((m) => m.id === c.id));
    invite.hidden = room.creator.id !== self || candidates.length === 0;
    inviteForm.querySelector("legend")!.textContent = `Invite to #${room.name}`;
    fillPick(inviteForm, candidates);
    for (const form of [inviteForm, leaveForm]) {
      form.querySelector<HTMLInputElement>('input[name="room"]')!.value = room.id;
    }
    leaveForm.querySelector("button")!.textContent = `Leave #${room.name}`;
  }

  /** Opens a room as a click on it in the list would, once the chat script has listed it. */
  function open(roomId: string): void {
    const started = Date.now();
    const tryOpen = () => {
      const button = document.querySelector<HTMLButtonElement>(
        `#contacts li[data-id="room:${CSS.escape(roomId)}"] button`,
      );
      if (button) button.click();
      else if (Date.now() - started < 5000) setTimeout(tryOpen, 50);
    };
    tryOpen();
  }

  /** Sends a form to the API with its button held down; its refusal is said in the form. */
  async function submit(
    form: HTMLFormElement,
    request: () => Promise<Room>,
  ): Promise<Room | undefined> {
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    button.disabled = true;
    say(form, "");
    try {
      const room = await request();
      rooms.set(room.id, room);
      return room;
    } catch (error) {
      say(form, (error as Error).message);
      return undefined;
    } finally {
      button.disabled = false;
    }
  }

  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = createForm.querySelector<HTMLInputElement>('input[name="name"]')!;
    const room = await submit(
      createForm,
      async () =>
        (await api<{ room: Room }>("/api/rooms", { name: name.value, members: ticked(createForm) }))
          .room,
    );
    if (!room) return;
    createForm.reset();
    newRoom.open = false;
    open(room.id);
  });
  inviteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const room = openRoom();
    if (!room) return;
    const members = ticked(inviteForm);
    if (members.length === 0) return say(inviteForm, "Pick at least one person to invite");
    const changed = await submit(
      inviteForm,
      async () => (await api<{ room: Room }>("/api/rooms/invite", { room: room.id, members })).room,
    );
    if (!changed) return;
    invite.open = false;
    render();
  });
  leaveForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const room = openRoom();
    if (room) {
      await submit(
        leaveForm,
        async () => (await api<{ room: Room }>("/api/rooms/leave", { room: room.id })).room,
      );
    }
    render();
  });
  // Whom there is to add is read when a form opens, so it is never stale.
  for (const details of [newRoom, invite]) {
    details.addEventListener("toggle", () => {
      if (details.open) void refresh().catch(() => {});
    });
  }
  document.addEventListener("p2pchat:select", (event) => {
    selected = (event as CustomEvent<string>).detail;
    invite.open = false;
    render();
  });
  document.addEventListener("p2pchat:event", (event) => {
    const data = (event as CustomEvent<Record<string, unknown>>).detail;
    if (data.event === "room") {
      rooms.set(data.id as string, data as unknown as Room);
      render();
    } else if (
      data.event === "peer_joined" && !contacts.some((c) => c.id === (data.peer as Member).id)
    ) {
      void refresh().catch(() => {});
    }
  });
  void refresh().catch(() => {});
}
