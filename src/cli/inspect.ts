/** `sectorcrypt inspect FILE [--json]`: an envelope's stanzas and sizes; needs no key. */
import type { Command } from 'commander';
import { inspectEnvelope } from '../envelope/inspect.js';
import { writeAll } from './files.js';

/** Long arguments (an X-Wing share is 1494 characters) are shortened in the text form. */
function shorten(arg: string): string {
  return arg.length <= 48 ? arg : `${arg.slice(0, 40)}...(${arg.length} chars)`;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description("show an envelope's recipients (stanza index, type, public arguments) and sizes")
    .argument('<file>', 'envelope file')
    .option('--json', 'print JSON, with arguments in full')
    .action(async (file: string, flags: { json?: boolean }) => {
      const summary = await inspectEnvelope(file);
      const text = flags.json
        ? JSON.stringify(summary) + '\n'
        : [
            `header ${summary.headerBytes} bytes, payload ${summary.payloadBytes} bytes`,
            ...summary.stanzas.map((s) => [String(s.index), s.type, ...s.args.map(shorten)].join(' ')),
            ...summary.groups.map(
              (g) =>
                `threshold group ${g.groupId}: any ${g.k} of ${g.n}: ` +
                g.members.map((m) => `share ${m.share} = stanza ${m.stanza} (${m.type}${m.url ? ` at ${m.url}` : ''})`).join(', '),
            ),
          ].join('\n') + '\n';
      await writeAll(process.stdout, new TextEncoder().encode(text));
    });
}
