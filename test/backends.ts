/**
 * Which backends the tests run against. 'portable' always; 'native' wherever it loads,
 * and also wherever the CPU has AES-NI and PCLMULQDQ: there native must work, so a
 * broken build shows up as failing tests instead of silently shrinking the list.
 */
import { existsSync, readFileSync } from 'node:fs';
import { getBackend } from '../src/backend/select.js';

export type TestBackend = 'portable' | 'native';

/** True when /proc/cpuinfo lists both aes and pclmulqdq (Linux; false elsewhere). */
export function cpuHasAesNi(): boolean {
  if (!existsSync('/proc/cpuinfo')) return false;
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('flags'));
  const flags = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  return flags.has('aes') && flags.has('pclmulqdq');
}

function nativeLoads(): boolean {
  try {
    getBackend('native');
    return true;
  } catch {
    return false;
  }
}

export function testBackends(): TestBackend[] {
  return cpuHasAesNi() || nativeLoads() ? ['portable', 'native'] : ['portable'];
}
