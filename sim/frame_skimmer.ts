/**
 * Reading length-prefixed frames without looking at them, for load
 * generators that must stay cheaper than the server they measure.
 */

/** What {@linkcode skimFrames} reports. */
export interface FrameSkimHandler {
  /**
   * A whole frame has arrived; `payload` is given only for frames shorter
   * than `smallBytes` (such as a heartbeat acknowledgement).
   */
  onFrame(payload: Uint8Array | undefined): void;
  /** Bytes read from the connection, as they are read. */
  onBytes?(count: number): void;
  /** Frames shorter than this are copied for {@linkcode onFrame}. Default 64. */
  smallBytes?: number;
}

/**
 * Reads `conn` until it ends or fails, splitting it into frames (a 4-byte
 * big-endian length, then the payload) and passing over the payloads
 * without copying them.
 */
export async function skimFrames(conn: Deno.Conn, handler: FrameSkimHandler): Promise<void> {
  const smallBytes = handler.smallBytes ?? 64;
  const buffer = new Uint8Array(64 * 1024);
  const header = new Uint8Array(4);
  let headerBytes = 0;
  let left = 0; // payload bytes of the current frame still to come
  let small: Uint8Array | undefined;
  while (true) {
    let count: number | null;
    try {
      count = await conn.read(buffer);
    } catch {
      return; // closed under us: done
    }
    if (count === null) return;
    handler.onBytes?.(count);
    let offset = 0;
    while (offset < count) {
      if (headerBytes < 4) {
        header[headerBytes++] = buffer[offset++];
        if (headerBytes < 4) continue;
        left = new DataView(header.buffer).getUint32(0);
        small = left < smallBytes ? new Uint8Array(left) : undefined;
      } else {
        const take = Math.min(left, count - offset);
        small?.set(buffer.subarray(offset, offset + take), small.length - left);
        left -= take;
        offset += take;
      }
      if (left === 0) {
        handler.onFrame(small);
        headerBytes = 0;
        small = undefined;
      }
    }
  }
}
