#!/usr/bin/env node
/** The `sectorcrypt` command. Each subcommand lives in its own file. */
import { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import { packageVersion } from './version.js';
import { registerInfo } from './info.js';
import { registerBench } from './bench.js';
import { registerKeygen } from './keygen.js';
import { registerEncrypt } from './encrypt.js';
import { registerDecrypt } from './decrypt.js';
import { registerVolume } from './volume.js';
import { registerAgentClaims } from './agent-claims.js';

const program = new Command();
program
  .name('sectorcrypt')
  .description('AES-XTS and AES-GCM for data at rest: sectors, chunked streams, volumes')
  .version(packageVersion());

registerInfo(program);
registerBench(program);
registerKeygen(program);
registerEncrypt(program);
registerDecrypt(program);
registerVolume(program);

// `agent claims` (issue 16). The `agent` group may also be made by the broker work: attach to
// it when it exists, so both merge into one group.
const agentGroup = program.commands.find((c) => c.name() === 'agent') ?? program.command('agent').description('the key broker agent on this host');
registerAgentClaims(agentGroup);

program.parseAsync(process.argv).catch((err: unknown) => {
  // One line naming the error code; no stack, and never key material.
  if (err instanceof SectorCryptError) {
    process.stderr.write(`sectorcrypt: ${err.message}\n`);
  } else {
    process.stderr.write(`sectorcrypt: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exitCode = 1;
});
