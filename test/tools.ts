/**
 * Tests that need a program from outside the project (cryptsetup, qemu, a PostgreSQL server).
 * Where the program is missing they are reported as skipped, with the reason in their title,
 * never counted as passed. CI installs the programs and sets SECTORCRYPT_REQUIRE_TOOLS (a
 * comma-separated list, or "all"): there a missing program fails the run instead.
 */
import { describe, it } from 'vitest';

export function toolRequired(tool: string): boolean {
  const list = (process.env.SECTORCRYPT_REQUIRE_TOOLS ?? '').split(',').map((s) => s.trim());
  return list.includes('all') || list.includes(tool);
}

/**
 * describe() for a block that needs `tool`; `missing` is why it cannot run here (undefined
 * when it can). The body is only evaluated when the block runs.
 */
export function describeWithTool(tool: string, missing: string | undefined, title: string, body: () => void): void {
  if (missing === undefined) {
    describe(title, body);
  } else if (toolRequired(tool)) {
    describe(title, () => {
      it(`needs ${tool}`, () => {
        throw new Error(`${tool} is required here (SECTORCRYPT_REQUIRE_TOOLS) but ${missing}`);
      });
    });
  } else {
    console.warn(`skipped "${title}": ${missing}`);
    describe.skipIf(true)(`${title} (skipped: ${missing})`, body);
  }
}
