/**
 * The ways a link can be made, in the order they are tried: dial the
 * published address (`direct`); have the registry time a TCP simultaneous
 * open through both NATs (`punch`); have the registry forward the link's
 * sealed bytes (`relay`). Whatever the path, the same handshake and sealed
 * frames run inside it.
 */

/** A path as `--link-paths` names it. */
export type LinkPathChoice = "direct" | "punch" | "relay";

/** The path a link took, as the `link` event reports it. */
export type LinkPath = "direct" | "punched" | "relayed";

/** Every path, in the default order. */
export const DEFAULT_LINK_PATHS: readonly LinkPathChoice[] = ["direct", "punch", "relay"];

const TAKEN: Record<LinkPathChoice, LinkPath> = {
  direct: "direct",
  punch: "punched",
  relay: "relayed",
};

/** What a link made by `choice` is called once open. */
export function pathTaken(choice: LinkPathChoice): LinkPath {
  return TAKEN[choice];
}

/**
 * Reads a comma-separated list of paths (`direct,punch,relay`), kept in the
 * order given. Throws `RangeError` naming the first word that is not a path,
 * a repeated one, or an empty list.
 */
export function parseLinkPaths(text: string): LinkPathChoice[] {
  const words = text.split(",").map((word) => word.trim()).filter((word) => word !== "");
  if (words.length === 0) {
    throw new RangeError(`${JSON.stringify(text)} names no path; use some of direct,punch,relay`);
  }
  const paths: LinkPathChoice[] = [];
  for (const word of words) {
    if (!(DEFAULT_LINK_PATHS as readonly string[]).includes(word)) {
      throw new RangeError(
        `${JSON.stringify(word)} is not a link path; use some of direct,punch,relay`,
      );
    }
    if (paths.includes(word as LinkPathChoice)) {
      throw new RangeError(`${JSON.stringify(word)} is named twice`);
    }
    paths.push(word as LinkPathChoice);
  }
  return paths;
}

/**
 * One path could not make a connection (the peer's NAT dropped the dial, no
 * registry to arrange a punch, the relay refused). The next path is tried;
 * the link pool reports them together.
 */
export class PathFailure extends Error {
  readonly path: LinkPathChoice;
  constructor(path: LinkPathChoice, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
    this.path = path;
  }
}
