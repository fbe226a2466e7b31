/** Whether the store answers (GET /v1/health). */
import type { Sql } from './types.js';

const PING = 'SELECT 1';

export async function ping(q: Sql): Promise<void> {
  await q.query(PING);
}
