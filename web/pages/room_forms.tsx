/**
 * Making and changing rooms in the chat window: "New room" in the contact
 * list (a name and the contacts to add), and for the open room its members,
 * "Invite" (its creator only: the creator signs who is in it) and "Leave".
 * Each is a form post that works without JavaScript; `<details>` opens and
 * closes them without a script too. The page script then sends the same
 * forms to the API and keeps them current.
 */

import type { RoomSummary } from "../../peer/mod.ts";
import { MAX_NAME_LENGTH } from "../../protocol/mod.ts";
import type { ChatState } from "../chat_state.ts";

/** "New room": its name and whom to add, from the contacts. */
export function NewRoomForm(
  { state, session, formNonce, selected }: {
    state: ChatState;
    session: string;
    formNonce: string;
    selected: string;
  },
) {
  return (
    <details id="new-room" class="room-form">
      <summary>New room</summary>
      <form method="post" action="/rooms/create">
        <input type="hidden" name="session" value={session} />
        <input type="hidden" name="form" value={formNonce} />
        <input type="hidden" name="with" value={selected} />
        <label for="room-name">Room name</label>
        <input
          id="room-name"
          name="name"
          required
          maxlength={MAX_NAME_LENGTH}
          autocomplete="off"
          spellcheck={false}
        />
        <fieldset>
          <legend>Members</legend>
          <ul class="pick" data-pick="member">
            {state.contacts.map(({ peer }) => (
              <PickItem key={peer.id} id={peer.id} name={peer.name} />
            ))}
          </ul>
          <p class="hint" hidden={state.contacts.length > 0}>
            Nobody to add yet: invite people later.
          </p>
        </fieldset>
        <p class="form-error" role="alert" />
        <button type="submit">Create room</button>
      </form>
    </details>
  );
}

/** The open room: who is in it, Invite (for its creator) and Leave. */
export function RoomPanel(
  { room, state, session }: { room: RoomSummary | undefined; state: ChatState; session: string },
) {
  const mine = room?.creator.id === state.self.id;
  const candidates = room
    ? state.contacts.filter((c) => !room.members.some((m) => m.id === c.peer.id))
    : [];
  return (
    <section
      id="room-panel"
      class="room-panel"
      aria-label="Room"
      hidden={!room}
      data-room={room?.id}
    >
      <p class="room-members">{room ? membersLine(room, state.self.id) : ""}</p>
      <details id="room-invite" class="room-form" hidden={!mine || candidates.length === 0}>
        <summary>Invite</summary>
        <form method="post" action="/rooms/invite">
          <input type="hidden" name="session" value={session} />
          <input type="hidden" name="room" value={room?.id ?? ""} />
          <fieldset>
            <legend>{`Invite to #${room?.name ?? ""}`}</legend>
            <ul class="pick" data-pick="member">
              {candidates.map(({ peer }) => (
                <PickItem
                  key={peer.id}
                  id={peer.id}
                  name={peer.name}
                />
              ))}
            </ul>
          </fieldset>
          <p class="form-error" role="alert" />
          <button type="submit">Invite</button>
        </form>
      </details>
      <form id="room-leave" method="post" action="/rooms/leave">
        <input type="hidden" name="session" value={session} />
        <input type="hidden" name="room" value={room?.id ?? ""} />
        <button type="submit" class="leave">{`Leave #${room?.name ?? ""}`}</button>
        <p class="form-error" role="alert" />
      </form>
    </section>
  );
}

/** `Members: alice (creator), bob, you` — the page script writes the same line. */
export function membersLine(room: RoomSummary, self: string): string {
  const names = room.members.map((m) =>
    (m.id === self ? "you" : m.name) + (m.id === room.creator.id ? " (creator)" : "")
  );
  return `Members: ${names.join(", ")}`;
}

function PickItem({ id, name }: { id: string; name: string }) {
  return (
    <li>
      <label>
        <input type="checkbox" name="member" value={id} /> <span class="pick-name">{name}</span>
      </label>
    </li>
  );
}
