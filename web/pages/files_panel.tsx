/**
 * The transfers with the open conversation's peer, above the compose box:
 * each with a progress bar, and for a file offered to us, Accept and Decline
 * buttons (form posts, so they work without JavaScript; the page script then
 * keeps the bars moving and takes attachments by button or drag-and-drop).
 */

import { type FileTransferInfo, formatBytes } from "../../peer/mod.ts";

/** Transfers shown per conversation, newest first. */
export const SHOWN_TRANSFERS = 5;

const STATUS_WORDS: Record<FileTransferInfo["status"], string> = {
  offered: "waiting for an answer",
  transferring: "transferring",
  done: "done",
  failed: "failed",
  declined: "declined",
};

/** The list (empty and hidden when there is nothing with this peer). */
export function FilesPanel(
  { transfers, selected, session }: {
    transfers: FileTransferInfo[];
    selected: string;
    session: string;
  },
) {
  const shown = transfers.filter((t) => t.peer.id === selected).slice(0, SHOWN_TRANSFERS);
  return (
    <section id="files" aria-label="Files" hidden={shown.length === 0}>
      <ul id="transfers">
        {shown.map((t) => (
          <TransferItem key={t.id} transfer={t} session={session} selected={selected} />
        ))}
      </ul>
    </section>
  );
}

function TransferItem(
  { transfer, session, selected }: {
    transfer: FileTransferInfo;
    session: string;
    selected: string;
  },
) {
  const answerable = transfer.direction === "in" && transfer.status === "offered";
  const percent = transfer.size === 0 ? 100 : Math.floor((transfer.bytes / transfer.size) * 100);
  return (
    <li class="transfer" data-id={transfer.id} data-status={transfer.status}>
      <span class="file-name">
        <span aria-hidden="true">📎</span> {transfer.name}
      </span>{" "}
      <span class="file-size">{formatBytes(transfer.size)}</span>{" "}
      <span class="file-status">
        {transfer.direction === "in" ? "from" : "to"} {transfer.peer.name}:{" "}
        {STATUS_WORDS[transfer.status]}
        {transfer.reason ? ` (${transfer.reason})` : ""}
      </span>
      <progress
        max={Math.max(1, transfer.size)}
        value={transfer.status === "done" ? Math.max(1, transfer.size) : transfer.bytes}
        aria-label={`${transfer.name}: ${percent}%`}
      />
      {answerable && (
        <form class="file-answer" method="post" action="/files/accept">
          <input type="hidden" name="session" value={session} />
          <input type="hidden" name="id" value={transfer.id} />
          <input type="hidden" name="with" value={selected} />
          <button type="submit" class="accept">Accept</button>
          <button type="submit" class="decline" formaction="/files/decline">Decline</button>
        </form>
      )}
    </li>
  );
}
