/**
 * What a request without a valid session gets. In a tab that already holds
 * a session (a reload), its small script posts the token and the chat
 * appears; anywhere else it explains how to get in.
 */

/** Why the page is locked. */
export type LockedReason =
  /** Nothing presented: a reload, or an address typed by hand. */
  | "locked"
  /** A launch secret that is wrong or was used already. */
  | "used"
  /** A session token the peer no longer knows (idle too long, or the peer restarted). */
  | "expired";

const EXPLANATIONS: Record<LockedReason, string> = {
  locked: "Open the address your peer printed when it started (it ends with ?launch=…).",
  used: "That address was already used, or is wrong: each one opens a single window. " +
    "Your peer printed a fresh one when it was used.",
  expired: "This window's session ended (it was idle too long, or the peer restarted). " +
    "Open the latest address your peer printed.",
};

export function LockedPage({ reason, version }: { reason: LockedReason; version: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="referrer" content="same-origin" />
        <title>p2pchat — locked</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={`/assets/chat.css?v=${version}`} />
        <script src={`/assets/unlock.js?v=${version}`} defer />
      </head>
      <body class="locked" data-reason={reason}>
        <main class="locked">
          <h1>This chat is locked</h1>
          <p>{EXPLANATIONS[reason]}</p>
          <p class="hint">
            Only the tab that opened that address can use this chat; other pages and other programs
            on this computer cannot.
          </p>
        </main>
      </body>
    </html>
  );
}
