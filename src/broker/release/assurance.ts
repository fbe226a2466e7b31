/**
 * Who may vote on a release (docs/policies.md "Approval"): when the tenant's provider settings
 * say so, no vote from a local API token; and when a manual policy covering the key asks for
 * assurance, each vote must come from a sign-in through the provider that shows a second
 * factor (amr/acr) and is recent enough (auth_time). The strictest assurance of the tenant's
 * manual policies that list the key applies: a request's deciding policy is not kept apart
 * from the others, and asking more never releases more.
 */
import type { Principal } from '../auth/principal.js';
import type { Sql } from '../store/types.js';
import { SectorCryptError } from '../../errors.js';
import { policyDocuments } from '../policy/repository.js';
import type { Assurance } from '../policy/types.js';
import { getProvider } from '../oidc/repository.js';
import { showsSecondFactor } from '../oidc/settings.js';

/** The strictest assurance of the manual policies listing the key, or undefined. */
export async function assuranceFor(q: Sql, tenantId: string, keyId: string): Promise<Assurance | undefined> {
  let out: Assurance | undefined;
  for (const p of await policyDocuments(q, tenantId)) {
    const a = p.approval.mode === 'manual' ? p.approval.assurance : undefined;
    if (!a || !p.keys.includes(keyId)) continue;
    out = {
      ...(a.secondFactor || out?.secondFactor ? { secondFactor: true } : {}),
      ...(a.maxAgeMinutes !== undefined || out?.maxAgeMinutes !== undefined
        ? { maxAgeMinutes: Math.min(a.maxAgeMinutes ?? Infinity, out?.maxAgeMinutes ?? Infinity) }
        : {}),
    };
  }
  return out;
}

/** Refuses the vote (ERR_FORBIDDEN, or ERR_STEP_UP saying what is needed); the assurance checked, if any. */
export async function checkVoter(q: Sql, who: Principal, keyId: string, now: Date): Promise<Assurance | undefined> {
  const provider = await getProvider(q, who.tenantId);
  if (!who.signIn && provider && !provider.settings.localTokenVotes)
    throw new SectorCryptError(
      'ERR_FORBIDDEN',
      "this tenant takes approvers' votes only from a sign-in through its OpenID provider, not a local token",
    );
  const need = await assuranceFor(q, who.tenantId, keyId);
  if (!need) return undefined;
  const wants = [
    ...(need.secondFactor ? ['a second factor'] : []),
    ...(need.maxAgeMinutes !== undefined ? [`a sign-in at most ${need.maxAgeMinutes} minutes old`] : []),
  ].join(' and ');
  const s = who.signIn;
  if (!s || !provider)
    throw new SectorCryptError('ERR_STEP_UP', `this vote needs a sign-in through the tenant's OpenID provider with ${wants}`);
  if (need.secondFactor && !showsSecondFactor(provider.settings, s.amr, s.acr))
    throw new SectorCryptError('ERR_STEP_UP', `this vote needs ${wants}: sign in again with a second factor (step-up)`);
  if (need.maxAgeMinutes !== undefined) {
    const at = s.authTime ? Date.parse(s.authTime) : NaN;
    if (Number.isNaN(at) || now.getTime() - at > need.maxAgeMinutes * 60_000)
      throw new SectorCryptError('ERR_STEP_UP', `this vote needs ${wants}: sign in again (step-up)`);
  }
  return need;
}
