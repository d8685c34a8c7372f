/// <reference lib="dom" />
/**
 * Reads a server-sent event stream with `fetch`, in the browser. EventSource
 * cannot send an `Authorization` header, and the alternative — the session
 * token in the stream's URL — would put it where addresses end up (history,
 * logs, proxies). Sent as source text: self-contained.
 */

/** What {@linkcode readEventStream} reports. */
export interface EventStreamHandlers {
  /** The server accepted the stream. */
  onOpen(): void;
  /** One event, with its name (`message` if unnamed) and its data lines joined. */
  onEvent(name: string, data: string): void;
}

/**
 * Streams `url` with `headers` until the server ends it or `signal` aborts.
 * Resolves with the HTTP status (200 once a stream ran and ended); rejects on
 * a network error.
 */
export async function readEventStream(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  handlers: EventStreamHandlers,
): Promise<number> {
  const response = await fetch(url, {
    headers: { ...headers, Accept: "text/event-stream" },
    cache: "no-store",
    signal,
  });
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    return response.status;
  }
  handlers.onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (true) {
    const { done, value } = await reader.read();
    if (done) return response.status;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue; // a comment: keep-alive
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") name = text;
        else if (field === "data") data.push(text);
      }
      if (data.length > 0) handlers.onEvent(name, data.join("\n"));
    }
  }
}
