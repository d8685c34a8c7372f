/**
 * Command-line flags with environment fallbacks: every `--some-flag` can also
 * come from `P2PCHAT_SOME_FLAG`, and a flag on the command line wins. Errors
 * name the flag (or variable) and the offending value.
 */

import { parseArgs } from "node:util";
import { type HostPort, parseHostPort } from "../protocol/mod.ts";

/** A mistake in how the command was invoked: print it and a pointer to `--help`, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** One flag's declaration. */
export interface FlagSpec {
  name: string;
  type: "string" | "boolean";
  /** Placeholder in the usage text, e.g. `HOST:PORT`. */
  value?: string;
  help: string;
  /** Shown as `(default …)`; the value itself is applied by the command. */
  defaultText?: string;
  short?: string;
}

/** Values as given (flag, then environment); absent ones are missing. */
export type FlagValues = Record<string, string | boolean | undefined>;

/** The environment variable read for `flag`: `listen` → `P2PCHAT_LISTEN`. */
export function envName(flag: string): string {
  return `P2PCHAT_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/**
 * Parses `args` against `specs`, then fills what is missing from `env`.
 * Throws {@linkcode UsageError} for unknown flags, missing values, stray
 * arguments and unreadable booleans in the environment.
 */
export function parseFlags(
  args: string[],
  specs: FlagSpec[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): FlagValues {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const spec of specs) {
    options[spec.name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(describeParseError(error, specs));
  }
  const values: FlagValues = { ...parsed.values };
  for (const spec of specs) {
    if (values[spec.name] !== undefined) continue;
    const fromEnv = env[envName(spec.name)];
    if (fromEnv === undefined || fromEnv === "") continue;
    values[spec.name] = spec.type === "boolean" ? envBoolean(envName(spec.name), fromEnv) : fromEnv;
  }
  return values;
}

function describeParseError(error: unknown, specs: FlagSpec[]): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const stem = flag.replace(/^-+/, "").slice(0, 3);
      const near = stem.length === 3 ? specs.find((s) => s.name.startsWith(stem)) : undefined;
      return `Unknown flag ${flag}` + (near ? ` (did you mean --${near.name}?)` : "");
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const spec = specs.find((s) => `--${s.name}` === flag || `-${s.short}` === flag);
      return spec?.type === "boolean"
        ? `Flag ${flag} takes no value`
        : `Flag ${flag} needs a value${spec?.value ? ` (${spec.value})` : ""}`;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL": {
      const arg = /'([^']*)'/.exec(message)?.[1] ?? "";
      return `Unexpected argument ${
        JSON.stringify(arg)
      }: values belong to a flag, as in --name alice`;
    }
    default:
      return message;
  }
}

function envBoolean(variable: string, text: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new UsageError(`${variable} must be true or false, got ${JSON.stringify(text)}`);
}

// ---- value readers -------------------------------------------------------------

/** Reads a `HOST:PORT` flag value. */
export function hostPortFlag(flag: string, text: string, defaultHost?: string): HostPort {
  try {
    return parseHostPort(text, defaultHost);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new UsageError(
      `Invalid value for --${flag}: ${
        JSON.stringify(text)
      } is not HOST:PORT with a port from 0 to 65535`,
    );
  }
}

/** Reads a whole-number flag value within `[min, max]`. */
export function integerFlag(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `Invalid value for --${flag}: ${
        JSON.stringify(text)
      } is not a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

/** Reads a flag value that must be one of `choices`. */
export function choiceFlag<T extends string>(flag: string, text: string, choices: T[]): T {
  if (!choices.includes(text as T)) {
    throw new UsageError(
      `Invalid value for --${flag}: ${JSON.stringify(text)}; use ${choices.join(" or ")}`,
    );
  }
  return text as T;
}

/** Formats the flag table for `--help`, wrapping defaults to fit 80 columns. */
export function formatFlags(specs: FlagSpec[]): string {
  const left = specs.map((s) =>
    `${s.short ? `-${s.short}, ` : "    "}--${s.name}${s.value ? ` ${s.value}` : ""}`
  );
  const width = Math.max(...left.map((l) => l.length)) + 4;
  return specs.map((s, i) => {
    const line = `  ${left[i].padEnd(width)}${s.help}`;
    if (!s.defaultText) return line;
    const withDefault = `${line} (default ${s.defaultText})`;
    return withDefault.length <= 80
      ? withDefault
      : `${line}\n${" ".repeat(width + 2)}(default ${s.defaultText})`;
  }).join("\n");
}
