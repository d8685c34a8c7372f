/**
 * Line-oriented logs, as text for people or JSON for log collectors. Values
 * often carry what a remote side said (error messages, names), so control
 * characters are escaped in both formats: a log line read in a terminal
 * cannot move the cursor or retitle the window.
 */

import { escapeControls } from "./control_characters.ts";

/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Values attached to a log line. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** Where roles send what they have to say. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  format?: "text" | "json";
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Receives each finished line (without newline). Default: stderr. */
  write?: (line: string) => void;
  /** Clock, for tests. */
  now?: () => Date;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger writing one line per call. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? "text";
  const threshold = LEVELS[options.level ?? "info"];
  const write = options.write ?? writeStderr;
  const now = options.now ?? (() => new Date());
  function log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LEVELS[level] < threshold) return;
    const time = now().toISOString();
    if (format === "json") {
      write(escapeControls(JSON.stringify({ time, level, msg: message, ...fields })));
      return;
    }
    const rest = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${formatValue(value)}`)
      .join(" ");
    write(
      `${time} ${level.toUpperCase().padEnd(5)} ${escapeControls(message)}${
        rest ? " " + rest : ""
      }`,
    );
  }
  return {
    debug: (message, fields) => log("debug", message, fields),
    info: (message, fields) => log("info", message, fields),
    warn: (message, fields) => log("warn", message, fields),
    error: (message, fields) => log("error", message, fields),
  };
}

/** A logger that says nothing (library use, tests). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

function formatValue(value: string | number | boolean | null | undefined): string {
  const text = String(value);
  // JSON.stringify escapes C0 controls; escapeControls the rest (C1, bidi).
  return escapeControls(/^[^\s"=\p{Cc}]+$/u.test(text) ? text : JSON.stringify(text));
}

const encoder = new TextEncoder();
function writeStderr(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stderr.writeSync(bytes.subarray(offset));
}
