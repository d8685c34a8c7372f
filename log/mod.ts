/**
 * Logging shared by both roles: one line per event, text or JSON, to stderr
 * unless told otherwise. Never given secrets (tokens, keys) to print. Also
 * the helpers that keep other people's text from acting as terminal control
 * sequences, here and in the terminal chat, and the throttle for warnings a
 * stranger can trigger at will (refusals): one line per second per reason.
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
export { escapeControls, visibleControls } from "./control_characters.ts";
export { ThrottledWarning, type ThrottledWarningOptions } from "./throttled_warning.ts";
