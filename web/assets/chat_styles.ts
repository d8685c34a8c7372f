/**
 * The chat window's look: a modern messenger, light or dark with the system,
 * phone to desktop. Colours meet WCAG 2.2 AA contrast (4.5:1 for text, 3:1
 * for focus rings and dots) in both schemes; the axe-core test checks it.
 */

export const CHAT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #eef1f5; --panel: #ffffff; --text: #16181b; --muted: #4b5563; --line: #d5d9df;
  --accent: #1d4ed8; --accent-text: #ffffff; --mine: #1d4ed8; --mine-text: #ffffff;
  --theirs: #ffffff; --ok: #15803d; --dot-off: #6b7280;
  --warn: #7c2d12; --warn-bg: #fef3c7; --danger: #991b1b; --danger-bg: #fee2e2; --hover: #e8ecf2;
  --selected: #dbe5fb; --focus: #1d4ed8;
  font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1115; --panel: #171a20; --text: #e5e7eb; --muted: #b4bac4; --line: #3a404a;
    --accent: #93c5fd; --accent-text: #0b1220; --mine: #1e40af; --mine-text: #ffffff;
    --theirs: #262b33; --ok: #4ade80; --dot-off: #9ca3af; --hover: #1f242c; --selected: #1e2a44;
    --warn: #fde68a; --warn-bg: #3b2f10; --danger: #fecaca; --danger-bg: #451a1a; --focus: #93c5fd;
  }
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { background: var(--bg); color: var(--text); }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
a { color: var(--accent); }
button { font: inherit; color: inherit; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
[hidden] { display: none !important; }
.app { display: grid; grid-template-columns: 300px 1fr; height: 100vh; max-width: 1280px; margin: 0 auto;
  background: var(--panel); box-shadow: 0 0 0 1px var(--line); }
.contacts { border-right: 1px solid var(--line); display: flex; flex-direction: column; min-height: 0; }
.me { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.6rem; padding: 1rem 1.1rem;
  border-bottom: 1px solid var(--line); font-size: 1.05rem; }
.me code { color: var(--muted); }
.notify { margin-left: auto; font-size: 0.85rem; padding: 0.3rem 0.7rem; border-radius: 999px;
  border: 1px solid var(--line); background: var(--panel); cursor: pointer; }
.notify[aria-pressed="true"] { background: var(--selected); border-color: var(--accent); }
.contacts nav { overflow-y: auto; flex: 1; }
#contacts { list-style: none; margin: 0; padding: 0.4rem; }
#contacts li button { display: grid; grid-template-columns: 1.2rem 1fr auto auto; grid-template-rows: auto auto;
  column-gap: 0.6rem; align-items: center; width: 100%; padding: 0.55rem 0.7rem; border-radius: 10px;
  border: none; background: none; text-align: left; cursor: pointer; }
#contacts li button:hover { background: var(--hover); }
#contacts li.selected button { background: var(--selected); }
#contacts .dot { grid-row: 1 / span 2; width: 0.75rem; height: 0.75rem; border-radius: 50%;
  border: 2px solid var(--dot-off); justify-self: center; }
#contacts li[data-online="true"] .dot { background: var(--ok); border-color: var(--ok); }
#contacts .dot.room { width: auto; height: auto; border: none; color: var(--accent); font-weight: 700; }
#contacts .name { grid-column: 2; grid-row: 1; font-weight: 600; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
#contacts .sub { grid-column: 2; grid-row: 2; font-size: 0.875rem; color: var(--muted); }
#contacts .sub code { font-size: 0.85rem; }
#contacts .sub .link-path::before { content: "· "; }
.badge { grid-row: 1 / span 2; font-size: 0.8rem; font-weight: 700; border-radius: 999px;
  padding: 0.1rem 0.5rem; min-width: 1.6rem; text-align: center; white-space: nowrap; }
.badge.pending { grid-column: 3; background: var(--warn-bg); color: var(--warn); }
.badge.unread { grid-column: 4; background: var(--accent); color: var(--accent-text); }
.conversation { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
.peer-header { display: flex; align-items: baseline; gap: 0.7rem; padding: 0.9rem 1.2rem;
  border-bottom: 1px solid var(--line); }
.peer-header h1 { font-size: 1.2rem; margin: 0; }
.peer-header .back { display: none; font-size: 1.6rem; line-height: 1; color: var(--accent); border: none;
  background: none; cursor: pointer; padding: 0 0.4rem; }
.presence { font-size: 0.9rem; color: var(--muted); }
.presence[data-online="true"] { color: var(--ok); }
.peer-id { margin-left: auto; color: var(--muted); }
.banner { margin: 0; padding: 0.6rem 1.2rem; font-size: 0.95rem; display: flex; flex-wrap: wrap; gap: 0.5rem 1rem;
  align-items: center; }
.banner.warn { background: var(--warn-bg); color: var(--warn); }
.banner.danger { background: var(--danger-bg); color: var(--danger); }
.banner button { margin-left: auto; }
#messages { list-style: none; margin: 0; padding: 1rem 1.2rem; flex: 1; overflow-y: auto;
  display: flex; flex-direction: column; gap: 0.35rem; background: var(--bg); }
.message { max-width: min(70%, 36rem); padding: 0.45rem 0.75rem 0.35rem; border-radius: 16px;
  background: var(--theirs); align-self: flex-start; box-shadow: 0 1px 1px rgb(0 0 0 / 0.08); }
.message.mine { align-self: flex-end; background: var(--mine); color: var(--mine-text); }
.message .author { display: block; font-size: 0.85rem; font-weight: 700; color: var(--accent); }
.message .author.unverified { color: var(--danger); }
/* No opacity: 0.75 of white over --mine measured 4.48:1, under AA's 4.5. */
.message .broadcast { display: block; font-size: 0.72rem; }
.message .text { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.message .meta { display: flex; justify-content: flex-end; gap: 0.3rem; font-size: 0.8rem; }
.message[data-status="failed"] { background: var(--danger-bg); color: var(--danger); }
.empty { color: var(--muted); text-align: center; padding: 1rem; margin: 0; }
#compose { display: flex; gap: 0.6rem; padding: 0.8rem 1rem; border-top: 1px solid var(--line); }
#compose textarea { flex: 1; resize: none; font: inherit; padding: 0.6rem 0.8rem; border-radius: 12px;
  border: 1px solid var(--muted); background: var(--bg); color: var(--text); max-height: 9rem; }
#compose textarea::placeholder { color: var(--muted); opacity: 1; }
#compose button, .banner button { font-weight: 600; padding: 0.5rem 1rem; border-radius: 12px;
  border: none; background: var(--accent); color: var(--accent-text); cursor: pointer; }
.banner.danger button { background: var(--danger); color: var(--danger-bg); }
#toast { position: fixed; bottom: 5.5rem; left: 50%; transform: translateX(-50%); background: var(--text);
  color: var(--panel); padding: 0.5rem 1rem; border-radius: 10px; font-size: 0.95rem; }
main.locked { max-width: 34rem; margin: 4rem auto; padding: 1.5rem; background: var(--panel); border-radius: 14px; }
main.locked .hint { color: var(--muted); }
@media (max-width: 720px) {
  .app { grid-template-columns: 1fr; }
  .app:not(.chatting) .conversation { display: none; }
  .app.chatting .contacts { display: none; }
  .peer-header .back { display: inline; }
  .message { max-width: 85%; }
}
`;
