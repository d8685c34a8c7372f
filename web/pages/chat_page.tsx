/**
 * The chat window, rendered on the server for the first paint (and usable
 * without JavaScript: contacts are links, the compose box is a form). The
 * browser script then keeps it live.
 */

import type { HistoryEntry } from "../../peer/mod.ts";
import { shortId } from "../../protocol/mod.ts";
import type { ChatState, Contact } from "../chat_state.ts";

/** A message as the page shows it; in the room, with its author's name. */
export type ChatMessageView = HistoryEntry & { author?: string };

/** Everything the page shows. */
export interface ChatPageProps {
  state: ChatState;
  /** Selected conversation: a peer ID, or "*" for the broadcast room. */
  selected: string;
  messages: ChatMessageView[];
  version: string;
}

const STATUS_MARKS: Record<string, [string, string]> = {
  pending: ["◷", "waiting: recipient offline"],
  sent: ["✓", "sent"],
  delivered: ["✓", "delivered"],
  read: ["✓✓", "read"],
  failed: ["✗", "not delivered"],
};

export function ChatPage({ state, selected, messages, version }: ChatPageProps) {
  const current = state.contacts.find((c) => c.peer.id === selected);
  const title = selected === "*" ? "Everyone" : current?.peer.name ?? "p2pchat";
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${title} — p2pchat`}</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={`/assets/chat.css?v=${version}`} />
        <script src={`/assets/chat.js?v=${version}`} defer />
      </head>
      <body data-self-id={state.self.id} data-self-name={state.self.name} data-selected={selected}>
        <div class="app">
          <aside class="contacts" aria-label="Conversations">
            <header class="me">
              <strong>{state.self.name}</strong>{" "}
              <code title={state.self.id}>{shortId(state.self.id)}</code>
            </header>
            <nav>
              <ul id="contacts">
                <li data-id="*" class={selected === "*" ? "selected" : undefined}>
                  <a href="/?with=*">
                    <span class="dot room" aria-hidden="true">#</span>
                    <span class="name">Everyone</span>
                    <span class="sub">broadcast room</span>
                  </a>
                </li>
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
              <p id="registry-banner" class="banner warn" hidden={state.registered}>
                Registry lost — reconnecting. Chats with peers you know continue.
              </p>
            </div>
            <header class="peer-header">
              <a class="back" href="/" aria-label="All conversations">‹</a>
              <h1 id="title">{title}</h1>
              <span
                id="presence"
                class="presence"
                data-online={String(current?.online ?? selected === "*")}
              >
                {selected === "*"
                  ? "everyone online"
                  : current
                  ? (current.online ? "online" : "offline")
                  : ""}
              </span>
              {current && (
                <code class="peer-id" title={current.peer.id}>{shortId(current.peer.id)}</code>
              )}
            </header>
            <ol id="messages" aria-live="polite">
              {messages.map((m) => <MessageItem key={m.id} message={m} room={selected === "*"} />)}
            </ol>
            <p id="no-messages" class="empty" hidden={messages.length > 0}>
              {selected === "*" ? "Say something to everyone online." : "No messages yet."}
            </p>
            <form id="compose" method="post" action="/send">
              <input type="hidden" name="to" value={selected} />
              <textarea
                id="text"
                name="text"
                rows={1}
                placeholder={selected === "*" ? "Message everyone" : `Message ${title}`}
                aria-label="Message"
                required
              />
              <button type="submit">Send</button>
            </form>
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
      <a href={`/?with=${contact.peer.id}`}>
        <span class="dot" aria-label={contact.online ? "online" : "offline"} />
        <span class="name">{contact.peer.name}</span>
        <code class="sub" title={contact.peer.id}>{shortId(contact.peer.id)}</code>
        <span class="badge pending" hidden={contact.pending === 0} title="waiting in the outbox">
          ◷ {contact.pending}
        </span>
        <span class="badge unread" hidden={contact.unread === 0} title="unread">
          {contact.unread}
        </span>
      </a>
    </li>
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
      <p class="text">{message.text}</p>
      <span class="meta">
        <time datetime={new Date(message.sentAt).toISOString()}>{clock(message.sentAt)}</time>
        {mine && <span class="status" title={label}>{mark}</span>}
      </span>
    </li>
  );
}

function clock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}
