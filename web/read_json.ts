/** A request's JSON body, or `undefined` when it is not JSON (the caller says what to send). */
export async function readJson<T>(request: Request): Promise<T | undefined> {
  if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) return undefined;
  try {
    return await request.json() as T;
  } catch {
    return undefined;
  }
}
