/**
 * Which backends the tests run against. 'portable' always; 'native' wherever it loads,
 * and also wherever the CPU has AES-NI and PCLMULQDQ: there native must work, so a
 * broken build shows up as failing tests instead of silently shrinking the list.
 */
import { existsSync, readFileSync } from 'node:fs';
import { getBackend } from '../src/backend/select.js';

export type TestBackend = 'portable' | 'native';

/**
 * True when /proc/cpuinfo lists AES and carry-less multiply: aes and pclmulqdq in the x86
 * "flags", or aes and pmull in the arm64 "Features" (Linux; false elsewhere).
 */
export function cpuHasAesNi(): boolean {
  if (!existsSync('/proc/cpuinfo')) return false;
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('flags') || l.startsWith('Features'));
  const flags = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  return flags.has('aes') && (flags.has('pclmulqdq') || flags.has('pmull'));
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
