/// <reference lib="dom" />
/**
 * The locked page's script. A tab that holds a session token (the page was
 * reloaded) posts it back, so the chat reappears; a refused token is
 * forgotten, so it is not posted again. Sent as source text: self-contained.
 */

/** Runs in the browser. */
export function unlockClient(): void {
  const KEY = "p2pchat-session";
  const reason = document.body.dataset.reason;
  const token = sessionStorage.getItem(KEY);
  if (reason !== "locked") {
    sessionStorage.removeItem(KEY);
    return;
  }
  if (!token) return;
  const form = document.createElement("form");
  form.method = "post";
  form.action = "/";
  form.hidden = true;
  const fields: Record<string, string> = {
    session: token,
    with: new URLSearchParams(location.search).get("with") ?? "",
  };
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}
