/**
 * A file name from another peer is a name, never a path: whatever it holds
 * (`../../x`, `/etc/passwd`, `C:\x`, NUL, `CON.txt`), what is written is one
 * plain name inside the download directory, and never over an existing file.
 */

/** Names Windows reserves whatever their extension (`CON`, `nul.txt`, `COM1`…). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
/** Characters no file name may hold on some system we run on, control characters included. */
// deno-lint-ignore no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f<>:"|?*]/g;
/** Longest name kept, in UTF-16 code units (filesystems allow 255 bytes). */
const MAX_NAME = 120;

/**
 * One safe name for `name`: the last part of any path it holds, without
 * control or reserved characters, leading dots or trailing dots and spaces,
 * not a Windows device name, never empty.
 */
export function safeFileName(name: string): string {
  const last = name.split(/[\\/]/).pop() ?? "";
  let safe = last.replace(FORBIDDEN, "_").replace(/^[.\s]+/, "").replace(/[.\s]+$/, "");
  if (safe.length > MAX_NAME) {
    const dot = safe.lastIndexOf(".");
    const ext = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : "";
    safe = safe.slice(0, MAX_NAME - ext.length) + ext;
  }
  if (safe === "") return "file";
  const stem = safe.split(".")[0];
  return WINDOWS_RESERVED.test(stem) ? `_${safe}` : safe;
}

/** `name`, `name (1).ext`, `name (2).ext`, … : the `n`th candidate for a free name. */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

/**
 * Moves `from` to the first free name in `dir` for `name` and returns the
 * path. A hard link claims the name atomically — it fails if the name exists
 * — so nothing is ever overwritten, even by a file that appears meanwhile.
 */
export async function moveToFreeName(from: string, dir: string, name: string): Promise<string> {
  for (let n = 0; n < 10_000; n++) {
    const path = `${dir}/${numberedName(name, n)}`;
    try {
      await Deno.link(from, path);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
    await Deno.remove(from);
    return path;
  }
  throw new Error(`No free name for ${name} in ${dir}`);
}

/** Creates the first free `NAME.part` (numbered like final names) in `dir`; returns its path. */
export async function createPartFile(dir: string, name: string): Promise<string> {
  for (let n = 0; n < 10_000; n++) {
    const path = `${dir}/${numberedName(name, n)}.part`;
    try {
      (await Deno.open(path, { write: true, createNew: true })).close();
      return path;
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
  }
  throw new Error(`No free name for ${name}.part in ${dir}`);
}
