/** The look of file transfers in the chat window, in the chat's colours (WCAG 2.2 AA both schemes). */

export const FILES_CSS = `
#files { border-top: 1px solid var(--line); padding: 0.5rem 1rem; max-height: 40vh; overflow-y: auto; }
#transfers { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.4rem; }
.transfer { display: grid; grid-template-columns: auto auto 1fr auto; align-items: center;
  gap: 0.2rem 0.6rem; padding: 0.45rem 0.7rem; border: 1px solid var(--line); border-radius: 10px; }
.transfer .file-name { font-weight: 600; overflow-wrap: anywhere; }
.transfer .file-size, .transfer .file-status { color: var(--muted); font-size: 0.9rem; }
.transfer progress { grid-column: 1 / -1; width: 100%; height: 0.6rem; accent-color: var(--accent); }
.transfer[data-status="failed"] .file-status { color: var(--danger); }
.transfer[data-status="done"] progress { accent-color: var(--ok); }
.file-answer { display: flex; gap: 0.4rem; grid-column: 4; grid-row: 1; }
.file-answer button, #compose .attach { font-weight: 600; padding: 0.35rem 0.8rem; border-radius: 10px;
  border: 1px solid var(--line); background: var(--panel); cursor: pointer; }
.file-answer .accept { background: var(--accent); color: var(--accent-text); border-color: var(--accent); }
#compose .attach { font-size: 1.1rem; padding: 0.4rem 0.7rem; }
.conversation.dropping { outline: 3px dashed var(--accent); outline-offset: -6px; }
`;
