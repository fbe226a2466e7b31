/** The signature base of RFC 9421 section 2.5, built by hand for the few components we cover. */
import { serializeInnerList, type BareItem, type InnerList } from 'structured-headers';

/** The `@signature-params` value: the covered component ids and the parameters (section 2.3). */
export function signatureParams(components: readonly string[], params: ReadonlyArray<[string, BareItem]>): string {
  const list: InnerList = [components.map((c) => [c, new Map()]), new Map(params)];
  return serializeInnerList(list);
}

/**
 * One line per covered component, `"<id>": <value>`, then the `@signature-params` line; no
 * trailing newline. A value with a CR or LF cannot be represented (section 2.5, step 2.4)
 * and returns null.
 */
export function signatureBase(components: ReadonlyArray<readonly [string, string]>, paramsValue: string): string | null {
  const lines: string[] = [];
  for (const [id, value] of components) {
    if (/[\r\n]/.test(value)) return null;
    lines.push(`"${id}": ${value}`);
  }
  lines.push(`"@signature-params": ${paramsValue}`);
  return lines.join('\n');
}
