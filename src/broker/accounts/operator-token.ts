/**
 * `broker operator-token new`: a new operator token, shown once; every earlier token and
 * console session of the operator stops in the same transaction (a lost or leaked token).
 * Offline, from the data folder: it needs no working token. Both changes are in the system
 * tenant's audit log.
 */
import { readDataDir } from '../data-dir/files.js';
import { openStore } from '../store/open.js';
import { appendAudit } from '../audit/log.js';
import { SYSTEM_TENANT } from '../store/migrations.js';
import { issueToken, revokeCredentials } from './service.js';
import { newId } from '../auth/secrets.js';
import type { Store } from '../store/types.js';
import * as accounts from './repository.js';

export interface NewOperatorToken {
  operatorToken: string;
  tokenId: string;
  expiresAt: string;
  /** How many earlier operator tokens stopped working. */
  revoked: number;
}

export async function replaceOperatorToken(opts: { dataDir: string; database?: string; seconds?: number }): Promise<NewOperatorToken> {
  const files = await readDataDir(opts.dataDir, opts.database);
  files.rootKey.fill(0); // not needed here
  const store = await openStore(files.database);
  try {
    return await store.tx(async (q) => {
      let userId = await accounts.operatorId(q, SYSTEM_TENANT, true);
      if (!userId) {
        userId = newId('usr');
        await accounts.insertOperator(q, SYSTEM_TENANT, userId);
        await appendAudit(q, SYSTEM_TENANT, {
          actor: 'broker',
          action: 'user.create',
          target: userId,
          outcome: 'success',
          reasons: { roles: ['operator'] },
        });
      }
      const { tokens } = await revokeCredentials(q, SYSTEM_TENANT, userId);
      if (tokens > 0)
        await appendAudit(q, SYSTEM_TENANT, {
          actor: 'broker',
          action: 'token.revoke',
          target: userId,
          outcome: 'success',
          reasons: { tokens, why: 'operator-token new' },
        });
      const tok = await issueToken(q, SYSTEM_TENANT, userId, opts.seconds ?? 365 * 86_400);
      await appendAudit(q, SYSTEM_TENANT, { actor: 'broker', action: 'token.create', target: tok.tokenId, outcome: 'success' });
      return { operatorToken: tok.token, tokenId: tok.tokenId, expiresAt: tok.expiresAt, revoked: tokens };
    });
  } finally {
    await store.close();
  }
}

/** The operator (made on first use) and a new token for it, shown once (Broker.init, Broker.createOperatorToken). */
export async function createOperator(store: Store, seconds: number): Promise<string> {
  return store.tx(async (q) => {
    let userId = await accounts.operatorId(q, SYSTEM_TENANT, false);
    if (!userId) {
      userId = newId('usr');
      await accounts.insertOperator(q, SYSTEM_TENANT, userId);
      await appendAudit(q, SYSTEM_TENANT, {
        actor: 'broker',
        action: 'user.create',
        target: userId,
        outcome: 'success',
        reasons: { roles: ['operator'] },
      });
    }
    const tok = await issueToken(q, SYSTEM_TENANT, userId, seconds);
    await appendAudit(q, SYSTEM_TENANT, { actor: 'broker', action: 'token.create', target: tok.tokenId, outcome: 'success' });
    return tok.token;
  });
}
