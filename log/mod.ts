/**
 * Logging shared by both roles: one line per event, text or JSON, to stderr
 * unless told otherwise. Never given secrets (tokens, keys) to print. Also
 * the helpers that keep other people's text from acting as terminal control
 * sequences, here and in the terminal chat.
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
