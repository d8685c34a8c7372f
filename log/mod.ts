/**
 * Logging shared by both roles: one line per event, text or JSON, to stderr
 * unless told otherwise. Never given secrets (tokens, keys) to print.
 *
 * @module
 */

export {
  createLogger,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  silentLogger,
} from "./logger.ts";
