/**
 * The chat window, rendered on the server for the first paint, and usable
 * without JavaScript: every navigation is a form post that carries the tab's
 * session token (never a link with a secret in it), so contacts are buttons
 * of one form and the compose box is another. The browser script then keeps
 * it live.
 */

import type { FileTransferInfo, HistoryEntry, KeyChange, RoomSummary } from "../../peer/mod.ts";
import { FilesPanel } from "./files_panel.tsx";
import { NewRoomForm, RoomPanel } from "./room_forms.tsx";
import { shortId } from "../../protocol/mod.ts";
import type { ChatState, Contact } from "../chat_state.ts";

/** A message as the page shows it; in the room, with its author's name. */
export type ChatMessageView = HistoryEntry & { author?: string };

/** Everything the page shows. */
export interface ChatPageProps {
  state: ChatState;
  /** Selected conversation: a peer ID, "*" for the broadcast room, or "room:ID" for a room. */
  selected: string;
  messages: ChatMessageView[];
  /** File transfers (the page shows those with the selected peer). */
  transfers?: FileTransferInfo[];
  version: string;
  /** The tab's session token, for the forms (and the script, which keeps it). */
  session: string;
  /** A fresh nonce for the compose form, so a re-posted form does not send twice. */
  formNonce: string;
  /** A line to show above the conversation (e.g. why nothing was sent). */
  notice?: string;
  /** On a phone, show the conversation rather than the contact list. */
  chatting: boolean;
}

const STATUS_MARKS: Record<string, [string, string]> = {
  pending: ["◷", "waiting: recipient offline"],
  sent: ["✓", "sent"],
  delivered: ["✓", "delivered"],
  read: ["✓✓", "read"],
  failed: ["✗", "not delivered"],
};

export function ChatPage(props: ChatPageProps) {
  const { state, selected, messages, version, session } = props;
  const current = state.contacts.find((c) => c.peer.id === selected);
  const room = state.rooms.find((r) => `room:${r.id}` === selected);
  const group = selected === "*" || room !== undefined;
  const title = selected === "*"
    ? "Everyone"
    : room
    ? `#${room.name}`
    : current?.peer.name ?? "p2pchat";
  const unread = state.contacts.reduce((sum, c) => sum + c.unread, 0) +
    state.rooms.reduce((sum, r) => sum + r.unread, 0);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="referrer" content="same-origin" />
        <title>{`${unread > 0 ? `(${unread}) ` : ""}${title} — p2pchat`}</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={`/assets/chat.css?v=${version}`} />
        <script src={`/assets/chat.js?v=${version}`} defer />
        <link rel="stylesheet" href={`/assets/files.css?v=${version}`} />
        <script src={`/assets/files.js?v=${version}`} defer />
        <link rel="stylesheet" href={`/assets/rooms.css?v=${version}`} />
        <script src={`/assets/rooms.js?v=${version}`} defer />
      </head>
      <body data-self-id={state.self.id} data-self-name={state.self.name} data-selected={selected}>
        <div class={props.chatting ? "app chatting" : "app"}>
          <aside class="contacts" aria-label="Conversations">
            <header class="me">
              <strong>{state.self.name}</strong>{" "}
              <code title={state.self.id}>{shortId(state.self.id)}</code>
              <button id="notify" type="button" class="notify" aria-pressed="false" hidden>
                Notify me
              </button>
            </header>
            <NewRoomForm
              state={state}
              session={session}
              formNonce={props.formNonce}
              selected={selected}
            />
            <form id="nav" method="post" action="/">
              <input type="hidden" name="session" value={session} />
            </form>
            <nav aria-label="Contacts">
              <ul id="contacts">
                <li data-id="*" class={selected === "*" ? "selected" : undefined}>
                  <button
                    type="submit"
                    form="nav"
                    name="with"
                    value="*"
                    aria-current={selected === "*" ? "true" : undefined}
                  >
                    <span class="dot room" aria-hidden="true">#</span>
                    <span class="name">Everyone</span>
                    <span class="sub">broadcast room</span>
                  </button>
                </li>
                {state.rooms.map((r) => (
                  <RoomItem key={r.id} room={r} selected={selected === `room:${r.id}`} />
                ))}
                {state.contacts.map((contact) => (
                  <ContactItem
                    key={contact.peer.id}
                    contact={contact}
                    selected={selected === contact.peer.id}
                  />
                ))}
              </ul>
              <p id="no-contacts" class="empty" hidden={state.contacts.length > 0}>
                Nobody else is online yet.
              </p>
            </nav>
          </aside>
          <main class="conversation" aria-label="Conversation">
            <div id="banners">
              <p id="registry-banner" class="banner warn" role="status" hidden={state.registered}>
                Registry lost — reconnecting. Chats with peers you know continue.
              </p>
              {props.notice && <p class="banner danger" role="alert">{props.notice}</p>}
              {state.keyChanges.map((change) => (
                <KeyChangeBanner key={change.name} change={change} session={session} />
              ))}
            </div>
            <header class="peer-header">
              <button type="submit" form="nav" name="with" value="" class="back">
                <span aria-hidden="true">‹</span>
                <span class="visually-hidden">All conversations</span>
              </button>
              <h1 id="title">{title}</h1>
              <span
                id="presence"
                class="presence"
                data-online={String(current?.online ?? group)}
              >
                {selected === "*"
                  ? "everyone online"
                  : room
                  ? `${room.members.length} members`
                  : current
                  ? (current.online ? "online" : "offline")
                  : ""}
              </span>
              <code class="peer-id" title={current?.peer.id} hidden={!current}>
                {current ? shortId(current.peer.id) : ""}
              </code>
            </header>
            <RoomPanel room={room} state={state} session={session} />
            <ol id="messages" aria-label={`Messages with ${title}`} tabindex={0}>
              {messages.map((m) => <MessageItem key={m.id} message={m} room={group} />)}
            </ol>
            <p id="no-messages" class="empty" hidden={messages.length > 0}>
              {selected === "*" ? "Say something to everyone online." : "No messages yet."}
            </p>
            <FilesPanel transfers={props.transfers ?? []} selected={selected} session={session} />
            <form id="compose" method="post" action="/send">
              <input type="hidden" name="session" value={session} />
              <input type="hidden" name="form" value={props.formNonce} />
              <input type="hidden" name="to" value={selected} />
              <textarea
                id="text"
                name="text"
                rows={1}
                placeholder={selected === "*" ? "Message everyone" : `Message ${title}`}
                aria-label="Message"
                required
              />
              <button
                type="button"
                id="attach"
                class="attach"
                title="Attach a file (or drop it here)"
                aria-label="Attach a file"
                hidden
              >
                <span aria-hidden="true">📎</span>
              </button>
              <input type="file" id="attach-file" multiple hidden />
              <button type="submit">Send</button>
            </form>
            <p id="announcer" class="visually-hidden" role="status" aria-live="polite" />
          </main>
        </div>
      </body>
    </html>
  );
}

function ContactItem({ contact, selected }: { contact: Contact; selected: boolean }) {
  return (
    <li
      data-id={contact.peer.id}
      data-online={String(contact.online)}
      class={selected ? "selected" : undefined}
    >
      <button
        type="submit"
        form="nav"
        name="with"
        value={contact.peer.id}
        aria-current={selected ? "true" : undefined}
      >
        <span class="dot" aria-hidden="true" />
        <span class="name">{contact.peer.name}</span>
        <span class="sub">
          <span class="presence-word">{contact.online ? "online" : "offline"}</span>{" "}
          <code title={contact.peer.id}>{shortId(contact.peer.id)}</code>{" "}
          <span class="link-path" hidden={!contact.link}>{contact.link ?? ""}</span>
        </span>
        <span class="badge pending" hidden={contact.pending === 0}>
          <span aria-hidden="true">◷</span> <span class="count">{contact.pending}</span>
          <span class="visually-hidden">waiting</span>
        </span>
        <span class="badge unread" hidden={contact.unread === 0}>
          <span class="count">{contact.unread > 99 ? "99+" : contact.unread}</span>
          <span class="visually-hidden">unread</span>
        </span>
      </button>
    </li>
  );
}

/** A room: its name, how many are in it, and its unread badge. */
function RoomItem({ room, selected }: { room: RoomSummary; selected: boolean }) {
  const id = `room:${room.id}`;
  return (
    <li data-id={id} data-room="" class={selected ? "selected" : undefined}>
      <button
        type="submit"
        form="nav"
        name="with"
        value={id}
        aria-current={selected ? "true" : undefined}
      >
        <span class="dot room" aria-hidden="true">#</span>
        <span class="name">{room.name}</span>
        <span class="sub">{`${room.members.length} members`}</span>
        <span class="badge unread" hidden={room.unread === 0}>
          <span class="count">{room.unread > 99 ? "99+" : room.unread}</span>
          <span class="visually-hidden">unread</span>
        </span>
      </button>
    </li>
  );
}

/** A changed key: what it is now, and the button that trusts exactly that key. */
export function KeyChangeBanner({ change, session }: { change: KeyChange; session: string }) {
  return (
    <form
      class="banner danger"
      method="post"
      action="/trust"
      data-key-change={change.name}
      data-new-id={change.newId}
    >
      <input type="hidden" name="session" value={session} />
      <input type="hidden" name="name" value={change.name} />
      <input type="hidden" name="id" value={change.newId} />
      <span>
        {change.name} now has a different key (<code>{shortId(change.newId)}</code>, was{" "}
        <code>{shortId(change.oldId)}</code>). Nothing is delivered until you trust it — check with
        them first.
      </span>
      <button type="submit">{`Trust ${change.name}'s new key`}</button>
    </form>
  );
}

function MessageItem({ message, room }: { message: ChatMessageView; room: boolean }) {
  const mine = message.direction === "out";
  const [mark, label] = STATUS_MARKS[message.status] ?? ["", message.status];
  return (
    <li
      class={`message ${mine ? "mine" : "theirs"}`}
      data-id={message.id}
      data-status={message.status}
    >
      {room && !mine && <span class="author">{message.author}</span>}
      {!room && message.broadcast && <span class="broadcast">to everyone</span>}
      <p class="text">{message.text}</p>
      <span class="meta">
        <time datetime={new Date(message.sentAt).toISOString()}>{clock(message.sentAt)}</time>
        {mine && <span class="status" role="img" title={label} aria-label={label}>{mark}</span>}
      </span>
    </li>
  );
}

function clock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}
