/**
 * The armv8-ce kernel, tested here under qemu-user by scripts/test-arm64.sh: the kernel alone
 * (test/arm64-kernel.cc) and the arm64 addon in the official arm64 Node 20 (test/arm64-node.mjs),
 * on the known-answer vectors and the x86 kernels' outputs. Skipped, with the reason printed,
 * where the cross compiler or qemu is missing (exit 77); never counted as passed there.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { projectRoot } from './vectors.js';
import { toolRequired } from './tools.js';

it('armv8-ce kernel and arm64 addon under qemu-aarch64 (scripts/test-arm64.sh)', (ctx) => {
  const run = spawnSync('bash', ['scripts/test-arm64.sh'], { cwd: projectRoot, encoding: 'utf8', maxBuffer: 64 << 20 });
  const output = `${run.stdout}${run.stderr}`;
  // CI installs the cross compiler and qemu (SECTORCRYPT_REQUIRE_TOOLS): there a skip is a failure.
  if (run.status === 77 && !toolRequired('qemu')) {
    const reason = output.trim().split('\n').pop();
    console.log(`arm64 tests skipped: ${reason}`);
    ctx.skip(reason);
  }
  expect(run.status, output.slice(-4000)).toBe(0);
}, 600_000);
