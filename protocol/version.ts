/** Versions: of the wire protocol and of this program. */

/** The wire protocol version this build speaks (carried in every hello). */
export const PROTOCOL_VERSION = 1;

/** This program's version, reported to the registry and the dashboard. */
export const APP_VERSION = "0.1.0";

/** How a client names itself in `hello`, e.g. `p2pchat/0.1.0`. */
export const CLIENT_NAME = `p2pchat/${APP_VERSION}`;
