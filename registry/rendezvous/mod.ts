/**
 * The registry as a meeting point for peers a direct dial cannot connect:
 * it times hole punches between them, and when punching fails it relays
 * their links' sealed frames, within limits. What it learns is what it
 * already knew — who is online, from which address — plus the timing and
 * sizes of what it relays; never the content (docs/SECURITY.md).
 *
 * @module
 */

export { MeetingPoint, type MeetingPointOptions, type RendezvousStats } from "./meeting_point.ts";
export type { MeetingBus } from "./meeting_bus.ts";
export type { MeetingSession } from "./meeting_session.ts";
export type { PunchStats } from "./punch_broker.ts";
export { RELAY_DEFAULTS, type RelayLimits, type RelayStats } from "./relay_switchboard.ts";
