/**
 * A few composable validators. Each turns an untrusted JSON value into a typed
 * one or throws {@linkcode ProtocolError} naming the field and what was wrong;
 * objects come out with only the fields the schema knows.
 */

import { ProtocolError } from "./errors.ts";

/** Validates `value` found at `path` (for messages such as `peers[3].name`). */
export type Parser<T> = (value: unknown, path: string) => T;

/** The type a parser produces. */
export type Parsed<P> = P extends Parser<infer T> ? T : never;

function invalid(path: string, expectation: string, value: unknown): ProtocolError {
  return new ProtocolError(
    "invalid_message",
    `Field "${path}" must be ${expectation}, got ${describe(value)}`,
  );
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return value.length > 40 ? `a ${value.length}-character string` : JSON.stringify(value);
  }
  if (typeof value === "object") return "an object";
  return String(value);
}

/** Options for {@linkcode string}. */
export interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** How to say what a valid value looks like, used in errors. */
  expected?: string;
}

/** A string with length limits (in UTF-16 code units) and an optional pattern. */
export function string(rule: StringRule = {}): Parser<string> {
  const min = rule.min ?? 0;
  const max = rule.max ?? 4096;
  const expected = rule.expected ?? `a string of ${min}–${max} characters`;
  return function parseString(value, path) {
    if (
      typeof value !== "string" || value.length < min || value.length > max ||
      (rule.pattern !== undefined && !rule.pattern.test(value))
    ) {
      throw invalid(path, expected, value);
    }
    return value;
  };
}

/**
 * A base64 string that decodes to exactly `bytes` bytes (kept as the string).
 * Checking the decode here means no later `fromBase64` can throw on it.
 */
export function base64Bytes(bytes: number): Parser<string> {
  const expected = `${bytes} bytes in base64`;
  const length = Math.ceil(bytes / 3) * 4;
  return function parseBase64(value, path) {
    if (typeof value !== "string" || value.length !== length) throw invalid(path, expected, value);
    try {
      if (Uint8Array.fromBase64(value).length === bytes) return value;
    } catch {
      // not base64: reported below
    }
    throw invalid(path, expected, value);
  };
}

/** A safe integer within `[min, max]`. */
export function integer(min: number, max: number): Parser<number> {
  return function parseInteger(value, path) {
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      throw invalid(path, `an integer from ${min} to ${max}`, value);
    }
    return value as number;
  };
}

/** `true` or `false`. */
export function boolean(): Parser<boolean> {
  return function parseBoolean(value, path) {
    if (typeof value !== "boolean") throw invalid(path, "true or false", value);
    return value;
  };
}

/** One of the given strings. */
export function oneOf<T extends string>(...choices: T[]): Parser<T> {
  const expected = choices.map((c) => JSON.stringify(c)).join(" or ");
  return function parseOneOf(value, path) {
    if (!choices.includes(value as T)) throw invalid(path, expected, value);
    return value as T;
  };
}

/** A field that may be absent (or `null`). */
export function optional<T>(parser: Parser<T>): Parser<T | undefined> {
  return function parseOptional(value, path) {
    return value === undefined || value === null ? undefined : parser(value, path);
  };
}

/** An array of at most `max` items, each checked. */
export function array<T>(item: Parser<T>, max: number): Parser<T[]> {
  return function parseArray(value, path) {
    if (!Array.isArray(value) || value.length > max) {
      throw invalid(path, `an array of at most ${max} items`, value);
    }
    return value.map((element, index) => item(element, `${path}[${index}]`));
  };
}

type Shape = Record<string, Parser<unknown>>;
type ObjectOf<S extends Shape> = { [K in keyof S]: Parsed<S[K]> };

/** An object with exactly the known fields copied out (unknown ones dropped). */
export function object<S extends Shape>(shape: S): Parser<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return function parseObject(value, path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw invalid(path, "an object", value);
    }
    const source = value as Record<string, unknown>;
    const result: Record<string, unknown> = {};
    for (const key of keys) {
      const parsed = shape[key](source[key], path ? `${path}.${key}` : key);
      if (parsed !== undefined) result[key] = parsed;
    }
    return result as ObjectOf<S>;
  };
}

/**
 * A message chosen by its `type` field. An unknown type is its own error code,
 * so a newer sender learns the receiver does not speak that message.
 */
export function messageUnion<T extends { type: string }>(
  parsers: { [K in T["type"]]: Parser<Extract<T, { type: K }>> },
  direction: string,
): Parser<T> {
  const table = parsers as Record<string, Parser<T>>;
  return function parseMessage(value, _path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ProtocolError("invalid_message", `A ${direction} message must be a JSON object`);
    }
    const type = (value as { type?: unknown }).type;
    if (typeof type !== "string") {
      throw new ProtocolError(
        "invalid_message",
        `Field "type" must be a string, got ${describe(type)}`,
      );
    }
    const parser = Object.hasOwn(table, type) ? table[type] : undefined;
    if (parser === undefined) {
      throw new ProtocolError(
        "unknown_type",
        `Unknown ${direction} message type ${describe(type)}`,
      );
    }
    return parser(value, "");
  };
}
