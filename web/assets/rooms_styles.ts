/** The look of making and changing rooms, in the chat's colours (WCAG 2.2 AA both schemes). */

export const ROOMS_CSS = `
.contacts > .room-form { margin: 0.5rem 0.8rem 0; }
.room-form summary { cursor: pointer; font-weight: 600; color: var(--accent); padding: 0.3rem 0.4rem;
  border-radius: 8px; width: fit-content; }
.room-form summary:hover { background: var(--hover); }
.room-form form { display: grid; gap: 0.45rem; margin-top: 0.3rem; padding: 0.7rem; border: 1px solid var(--line);
  border-radius: 10px; background: var(--panel); }
.room-form label[for] { font-size: 0.9rem; font-weight: 600; }
#room-name { font: inherit; padding: 0.4rem 0.6rem; border-radius: 8px; border: 1px solid var(--muted);
  background: var(--bg); color: var(--text); }
.room-form fieldset { border: none; margin: 0; padding: 0; min-width: 0; }
.room-form legend { font-size: 0.9rem; font-weight: 600; padding: 0; margin-bottom: 0.2rem; }
.pick { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.2rem 0.9rem; }
.pick label { display: inline-flex; align-items: center; gap: 0.35rem; cursor: pointer; }
.pick input { width: 1.05rem; height: 1.05rem; accent-color: var(--accent); }
.room-form .hint { margin: 0; font-size: 0.9rem; color: var(--muted); }
.form-error { margin: 0; font-size: 0.9rem; color: var(--danger); overflow-wrap: anywhere; }
.form-error:empty { display: none; }
.room-form button, .room-panel .leave { font: inherit; font-weight: 600; padding: 0.35rem 0.9rem;
  border-radius: 10px; cursor: pointer; justify-self: start; }
.room-form button { border: none; background: var(--accent); color: var(--accent-text); }
.room-panel { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0.4rem 1rem; padding: 0.5rem 1.2rem;
  border-bottom: 1px solid var(--line); font-size: 0.95rem; }
.room-panel .room-members { margin: 0.3rem 0 0; flex: 1 1 14rem; color: var(--muted); overflow-wrap: anywhere; }
.room-panel #room-leave { margin: 0; }
.room-panel .leave { border: 1px solid var(--line); background: var(--panel); color: var(--danger); }
`;
