/**
 * The one line a refused release reads as: the request and every failing rule, so that the
 * person at the console sees why without asking the broker's admin.
 */
import type { DenialReason as Reason } from '../protocol/answers.js';

const show = (v: unknown) => (v === undefined ? 'missing' : JSON.stringify(v));

function one(r: Reason): string {
  if (!r.claim) return r.rule ?? 'refused';
  const where = r.policy ? `policy ${r.policy} rule ${r.rule}` : (r.rule ?? 'rule');
  return `${where}: ${r.claim} expected ${show(r.expected)}, had ${show(r.actual)}`;
}

export function deniedMessage(requestId: string, reasons: unknown[]): string {
  const text = (reasons as Reason[]).slice(0, 8).map(one).join('; ');
  const more = reasons.length > 8 ? `; and ${reasons.length - 8} more` : '';
  return `release request ${requestId} was denied${text ? `: ${text}${more}` : ''}`;
}
