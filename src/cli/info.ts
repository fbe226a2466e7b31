/** `sectorcrypt info`: which backend and kernel run here, and the CPU features seen. */
import type { Command } from 'commander';
import { backendInfo, getBackend } from '../backend/select.js';
import { loadNative } from '../backend/native.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show the backend, kernel and CPU features in use')
    .option('--json', 'print one JSON object')
    .action((opts: { json?: boolean }) => {
      // SECTORCRYPT_BACKEND=native where the addon cannot load is an error for every command;
      // info must not report the portable fallback that no other command would use.
      getBackend();
      const info = { ...backendInfo(), kernels: loadNative().kernels };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const features = Object.entries(info.cpu)
        .filter(([, on]) => on)
        .map(([name]) => name);
      process.stdout.write(`backend: ${info.backend}\nkernel:  ${info.kernel}\n`);
      process.stdout.write(`kernels: ${info.kernels.join(', ') || 'none'}\n`);
      process.stdout.write(`cpu:     ${features.join(' ') || 'no AES features seen'}\n`);
      if (info.reason) process.stdout.write(`reason:  ${info.reason}\n`);
      const forced = process.env.SECTORCRYPT_BACKEND;
      if (forced) process.stdout.write(`forced:  SECTORCRYPT_BACKEND=${forced}\n`);
    });
}
