/** A key's destroy, once a second admin confirmed it (routes/actions.ts): its sealed secrets go. */
import type { Sql } from './store/types.js';
import type { BrokerContext } from './context.js';

export async function eraseKey(q: Sql, ctx: BrokerContext, tenantId: string, keyId: string): Promise<void> {
  // Crypto-erase: the sealed secret keys go; the public keys stay for the record.
  await q.query('UPDATE key_versions SET sealed_secret = NULL WHERE tenant_id = $1 AND key_id = $2', [tenantId, keyId]);
  await q.query('UPDATE broker_keys SET destroyed_at = now() WHERE tenant_id = $1 AND id = $2', [tenantId, keyId]);
  ctx.versionKeys.forget(tenantId, keyId);
}
