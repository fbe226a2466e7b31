/** Loads the C++ addon (placeholder until the addon lands: always unavailable). */
import type { Backend } from './types.js';

export interface NativeStatus {
  backend?: Backend;
  cpu: Record<string, boolean>;
  reason?: string;
}

export function loadNative(): NativeStatus {
  return { cpu: {}, reason: 'native addon not built yet' };
}
