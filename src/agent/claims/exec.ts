/**
 * An admin-named command as a claim source (an antivirus status tool, a compliance check).
 * The command is an argv array with an absolute program path: no shell, no PATH lookup. Its
 * exit code is mapped through a table, or its stdout is parsed as JSON and one value taken
 * by JSON Pointer (RFC 6901). Anything else (a timeout, too much output, an unmapped code):
 * unavailable, so a policy on the claim sees it missing.
 */
import { resolvePointer } from './json-pointer.js';
import { firstLine, runProgram } from './run.js';
import type { Collector, CollectResult } from './types.js';

export interface ExecSpec {
  /** Dotted claim path; must start with `identity.` or `integrity.`. */
  claim: string;
  argv: string[];
  timeoutMs?: number;
  maxOutputBytes?: number;
  /** Exit code (as a decimal string) to claim value, e.g. {"0": "clean", "1": "infected"}. */
  exitCodes?: Record<string, string | number | boolean>;
  /** JSON Pointer into stdout (the command must exit 0). */
  jsonPointer?: string;
}

export const EXEC_DEFAULTS = { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 };

export function execCollector(spec: ExecSpec): Collector {
  const shown = spec.argv.join(' ');
  return {
    name: `exec:${spec.claim}`,
    sources: [{ claim: spec.claim, source: `exec ${shown}`, trust: 'agent' }],
    async collect(): Promise<CollectResult> {
      const result = await runProgram(spec.argv, {
        timeoutMs: spec.timeoutMs ?? EXEC_DEFAULTS.timeoutMs,
        maxOutputBytes: spec.maxOutputBytes ?? EXEC_DEFAULTS.maxOutputBytes,
      });
      if (!result.ok) return { unavailable: `${shown}: ${result.reason}` };
      if (spec.exitCodes) {
        const key = String(result.exitCode);
        if (!Object.hasOwn(spec.exitCodes, key)) return { unavailable: `${shown}: exit code ${key} is not mapped` };
        return { claims: { [spec.claim]: spec.exitCodes[key] }, detail: `exit ${key}` };
      }
      if (result.exitCode !== 0) return { unavailable: `${shown}: exit ${result.exitCode}: ${firstLine(result.stderr)}` };
      let doc: unknown;
      try {
        doc = JSON.parse(result.stdout.toString('utf8'));
      } catch {
        return { unavailable: `${shown}: stdout is not JSON` };
      }
      const hit = resolvePointer(doc, spec.jsonPointer ?? '');
      if (!hit.found) return { unavailable: `${shown}: nothing at JSON pointer "${spec.jsonPointer}"` };
      return { claims: { [spec.claim]: hit.value } };
    },
  };
}
