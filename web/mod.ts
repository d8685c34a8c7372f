/**
 * A peer's local web UI (`p2pchat peer --web`): a chat window any browser
 * shows — contacts with online dots, unread and outbox badges; conversations
 * with delivery and read ticks; a broadcast room and the peer's rooms (with
 * unread badges; made, invited to and left from the window by the terminal's
 * rules); file transfers; banners for a lost
 * registry or a changed key. Rendered on the server for the first paint,
 * live over server-sent events of the peer's own events, served entirely by
 * the peer, and usable only by the browser tab that opened the one-time
 * address it prints (see access.ts). It drives a peer only through
 * `peer/mod.ts`, as `terminal/` and `json/` do.
 *
 * @module
 */

export { ChatWeb, type ChatWebOptions } from "./chat_server.ts";
export { type ChatAppOptions, createChatApp } from "./chat_app.tsx";
export { MAX_SESSIONS, SESSION_IDLE_MS, WebAccess, type WebAccessOptions } from "./access.ts";
export { type ChatState, chatState, type Contact, unreadIn } from "./chat_state.ts";
