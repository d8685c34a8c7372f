/** The chat window's look: a modern messenger, light or dark with the system, phone to desktop. */

export const CHAT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #eef1f5; --panel: #ffffff; --text: #16181b; --muted: #6b7280; --line: #e3e6ea;
  --accent: #2563eb; --mine: #2563eb; --mine-text: #ffffff; --theirs: #ffffff; --ok: #16a34a;
  --warn: #b45309; --warn-bg: #fef3c7; --danger: #dc2626; --danger-bg: #fee2e2; --hover: #f3f5f8;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1115; --panel: #171a20; --text: #e5e7eb; --muted: #9ca3af; --line: #262a31;
    --accent: #60a5fa; --mine: #2563eb; --theirs: #22262d; --hover: #1d2128;
    --warn: #fbbf24; --warn-bg: #3b2f10; --danger: #f87171; --danger-bg: #3a1717;
  }
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { background: var(--bg); color: var(--text); }
code { font: 0.85em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--muted); }
a { color: inherit; text-decoration: none; }
.app { display: grid; grid-template-columns: 300px 1fr; height: 100vh; max-width: 1280px; margin: 0 auto;
  background: var(--panel); box-shadow: 0 0 0 1px var(--line); }
.contacts { border-right: 1px solid var(--line); display: flex; flex-direction: column; min-height: 0; }
.me { padding: 1rem 1.1rem; border-bottom: 1px solid var(--line); font-size: 1.05rem; }
.contacts nav { overflow-y: auto; flex: 1; }
#contacts { list-style: none; margin: 0; padding: 0.4rem; }
#contacts li a { display: grid; grid-template-columns: 1.2rem 1fr auto auto; grid-template-rows: auto auto;
  column-gap: 0.6rem; align-items: center; padding: 0.55rem 0.7rem; border-radius: 10px; }
#contacts li a:hover { background: var(--hover); }
#contacts li.selected a { background: color-mix(in srgb, var(--accent) 14%, transparent); }
#contacts .dot { grid-row: 1 / span 2; width: 0.7rem; height: 0.7rem; border-radius: 50%;
  background: var(--muted); opacity: 0.45; justify-self: center; }
#contacts li[data-online="true"] .dot { background: var(--ok); opacity: 1; }
#contacts .dot.room { width: auto; height: auto; background: none; opacity: 1; color: var(--accent);
  font-weight: 700; }
#contacts .name { grid-column: 2; grid-row: 1; font-weight: 600; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
#contacts .sub { grid-column: 2; grid-row: 2; font-size: 0.78rem; color: var(--muted); }
.badge { grid-row: 1 / span 2; font-size: 0.75rem; font-weight: 700; border-radius: 999px;
  padding: 0.1rem 0.5rem; min-width: 1.4rem; text-align: center; white-space: nowrap; }
.badge.pending { grid-column: 3; }
.badge.unread { grid-column: 4; }
.badge.unread { background: var(--accent); color: #fff; }
.badge.pending { background: var(--warn-bg); color: var(--warn); }
[hidden] { display: none !important; }
.conversation { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
.peer-header { display: flex; align-items: baseline; gap: 0.7rem; padding: 0.9rem 1.2rem;
  border-bottom: 1px solid var(--line); }
.peer-header h1 { font-size: 1.15rem; margin: 0; }
.peer-header .back { display: none; font-size: 1.6rem; line-height: 1; color: var(--accent); }
.presence { font-size: 0.85rem; color: var(--muted); }
.presence[data-online="true"] { color: var(--ok); }
.peer-id { margin-left: auto; }
.banner { margin: 0; padding: 0.6rem 1.2rem; font-size: 0.9rem; display: flex; gap: 1rem; align-items: center; }
.banner.warn { background: var(--warn-bg); color: var(--warn); }
.banner.danger { background: var(--danger-bg); color: var(--danger); }
.banner button { margin-left: auto; }
#messages { list-style: none; margin: 0; padding: 1rem 1.2rem; flex: 1; overflow-y: auto;
  display: flex; flex-direction: column; gap: 0.35rem; background: var(--bg); }
.message { max-width: min(70%, 36rem); padding: 0.45rem 0.75rem 0.35rem; border-radius: 16px;
  background: var(--theirs); align-self: flex-start; box-shadow: 0 1px 1px rgb(0 0 0 / 0.06); }
.message.mine { align-self: flex-end; background: var(--mine); color: var(--mine-text); }
.message .author { display: block; font-size: 0.78rem; font-weight: 700; color: var(--accent); }
.message .author.unverified { color: var(--danger); }
.message .text { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.message .meta { display: flex; justify-content: flex-end; gap: 0.3rem; font-size: 0.72rem; opacity: 0.75; }
.message[data-status="failed"] { background: var(--danger-bg); color: var(--danger); }
.message[data-status="pending"] .status { color: inherit; }
.empty { color: var(--muted); text-align: center; padding: 1rem; margin: 0; }
#compose { display: flex; gap: 0.6rem; padding: 0.8rem 1rem; border-top: 1px solid var(--line); }
#compose textarea { flex: 1; resize: none; font: inherit; padding: 0.6rem 0.8rem; border-radius: 12px;
  border: 1px solid var(--line); background: var(--bg); color: var(--text); max-height: 9rem; }
#compose button, .banner button { font: inherit; font-weight: 600; padding: 0.5rem 1rem; border-radius: 12px;
  border: none; background: var(--accent); color: #fff; cursor: pointer; }
#toast { position: fixed; bottom: 5.5rem; left: 50%; transform: translateX(-50%); background: var(--text);
  color: var(--panel); padding: 0.5rem 1rem; border-radius: 10px; font-size: 0.9rem; }
main.locked { max-width: 32rem; margin: 4rem auto; padding: 1.5rem; background: var(--panel); border-radius: 14px; }
@media (max-width: 720px) {
  .app { grid-template-columns: 1fr; }
  .app:not(.chatting) .conversation { display: none; }
  .app.chatting .contacts { display: none; }
  .peer-header .back { display: inline; }
  .message { max-width: 85%; }
}
`;
