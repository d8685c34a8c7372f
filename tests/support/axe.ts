/**
 * axe-core (Deque's accessibility engine, pinned in deno.json) run inside a
 * real page: the WCAG 2.2 A and AA rules, reported as one readable line per
 * violation and element.
 */

import axe from "axe-core";
import type { Page } from "playwright-core";

/** The rule sets checked: WCAG 2.0, 2.1 and 2.2 at levels A and AA. */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

// axe-core's own build exposes its source text for injection into pages.
const AXE_SOURCE: string = (axe as unknown as { source: string }).source;

/**
 * The violations on `page` as it is now, e.g.
 * `color-contrast: .badge (Element has insufficient color contrast of 3.49)`.
 * The page's context must have `bypassCSP: true`: the pages allow no inline
 * script, and the engine arrives as one.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  if (!await page.evaluate(() => "axe" in globalThis)) {
    await page.addScriptTag({ content: AXE_SOURCE });
  }
  const violations = await page.evaluate(async (tags) => {
    // deno-lint-ignore no-explicit-any
    const engine = (globalThis as any).axe;
    const result = await engine.run(document, { runOnly: { type: "tag", values: tags } });
    // deno-lint-ignore no-explicit-any
    return result.violations.map((v: any) => ({
      id: v.id,
      // deno-lint-ignore no-explicit-any
      nodes: v.nodes.map((n: any) => ({ target: n.target.join(" "), summary: n.failureSummary })),
    }));
  }, WCAG_TAGS);
  return violations.flatMap((v: { id: string; nodes: { target: string; summary: string }[] }) =>
    v.nodes.map((n) => `${v.id}: ${n.target} (${n.summary.replace(/\s+/g, " ").slice(0, 240)})`)
  );
}

/** The violations of `page` in both colour schemes, each line tagged with `what` and its scheme. */
export async function violationsInBothSchemes(page: Page, what: string): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    found.push(
      ...(await accessibilityViolations(page)).map((v) => `${what} (${colorScheme}) ${v}`),
    );
  }
  await page.emulateMedia({ colorScheme: "light" });
  return found;
}
