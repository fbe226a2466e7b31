#!/usr/bin/env node
/** The `sectorcrypt` command. Each subcommand lives in its own file. */
import { Command, CommanderError } from 'commander';
import { SectorCryptError } from '../errors.js';
import { fsError, osCode } from '../fs-errors.js';
import { packageVersion } from './version.js';
import { registerInfo } from './info.js';
import { registerBench } from './bench.js';
import { registerKeygen } from './keygen.js';
import { registerEncrypt } from './encrypt.js';
import { registerDecrypt } from './decrypt.js';
import { registerVolume } from './volume.js';
import { registerRekey } from './rekey.js';
import { registerInspect } from './inspect.js';
import { registerAudit } from './audit.js';
import { registerBroker, registerAgent } from './broker.js';
import { registerAgentClaims } from './agent-claims.js';
import { exitCleanly } from './output.js';

exitCleanly();

const program = new Command();
program
  .name('sectorcrypt')
  .description('AES-XTS and AES-GCM for data at rest: sectors, chunked streams, volumes')
  .version(packageVersion())
  // The program's own options (--version, --help) only before a subcommand, so that a
  // subcommand's `--version <n>` (broker key retire) is that subcommand's.
  .enablePositionalOptions()
  // Usage errors (unknown option, bad value) read like every other failure: one line, a code.
  .configureOutput({
    outputError: (text, write) => write(`sectorcrypt: ${text.replace(/^error: /, '').trimEnd()} (ERR_ARGUMENT)\n`),
  });

registerInfo(program);
registerBench(program);
registerKeygen(program);
registerEncrypt(program);
registerDecrypt(program);
registerVolume(program);
registerRekey(program);
registerInspect(program);
registerAudit(program);
registerBroker(program);
registerAgent(program);
// `agent claims` joins the `agent` group that registerAgent made.
registerAgentClaims(program.commands.find((c) => c.name() === 'agent')!);

/** Any failure as the one line the user sees: always with a code, never key material. */
function describe(err: unknown): string {
  if (err instanceof SectorCryptError) return err.message;
  if (err instanceof CommanderError) return `${err.message.replace(/^error: /, '')} (ERR_ARGUMENT)`;
  if (osCode(err) !== undefined) {
    const where = (err as { path?: unknown }).path;
    return fsError(err, typeof where === 'string' ? where : 'a file', (err as { syscall?: string }).syscall ?? 'open').message;
  }
  return err instanceof Error ? err.message : String(err);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`sectorcrypt: ${describe(err)}\n`);
  process.exitCode = 1;
});
