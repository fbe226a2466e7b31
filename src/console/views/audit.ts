/**
 * Auditor: the tenant's log with filters, the latest signed checkpoint, "Verify" and export.
 * Verify runs src/audit's own verifyExport in the page (the code `sectorcrypt audit verify`
 * runs; hashes and Ed25519 through its browser twins): the loaded export lines must rebuild
 * the checkpoint's Merkle root, and the checkpoint must carry the log key's signature.
 * Export saves the three files that command takes.
 */
import { openCheckpoint, type Checkpoint } from '../../audit/checkpoint.js';
import { toBase64 } from '../../audit/base64.js';
import { verifyExport } from '../../audit/verify-export.js';
import { api, describeError, type WhoAmI } from '../api.js';
import { alertLine, download, field, fill, h, statusLine, when } from '../dom.js';
import type { View } from './types.js';
import type { AuditRecordAnswer as AuditRecord } from '../../protocol/answers.js';

const PAGE = 1000;
const SHOWN = 500;


export const auditView: View = {
  id: 'audit',
  title: 'Audit log',
  roles: ['auditor', 'operator'],
  mount(root, who: WhoAmI) {
    const status = statusLine('Loading the checkpoint…');
    const error = alertLine();
    const result = h('p', { class: 'verdict', role: 'status', 'aria-live': 'polite' });
    const cpBox = h('div', { class: 'checkpoint' });
    const body = h('tbody');
    const count = h('p', { class: 'hint', 'aria-live': 'polite' });
    const records: AuditRecord[] = [];
    const lines: string[] = [];
    let note = '';
    let verifierKey = '';
    let checkpoint: Checkpoint | null = null;
    let stopped = false;

    const actor = h('input', { type: 'search', placeholder: 'usr_… or broker' });
    const action = h('select', {}, h('option', { value: '' }, 'any'));
    const outcome = h('select', {}, h('option', { value: '' }, 'any'));
    const from = h('input', { type: 'datetime-local', step: 1 });
    const to = h('input', { type: 'datetime-local', step: 1 });
    const verify = h('button', { type: 'button', disabled: true }, 'Verify');
    const exportButton = h('button', { type: 'button', disabled: true, class: 'secondary' }, 'Export');

    /** datetime-local is the browser's local time; records are UTC. */
    const bound = (input: HTMLInputElement) => (input.value ? new Date(input.value).getTime() : undefined);

    function render(): void {
      const a = actor.value.trim();
      const lo = bound(from);
      const hi = bound(to);
      const match = records.filter((r) => {
        if (a && !r.actor.includes(a)) return false;
        if (action.value && r.action !== action.value) return false;
        if (outcome.value && r.outcome !== outcome.value) return false;
        const t = Date.parse(r.time);
        return (lo === undefined || t >= lo) && (hi === undefined || t <= hi);
      });
      const shown = match.slice(-SHOWN).reverse();
      fill(
        body,
        shown.map((r) =>
          h(
            'tr',
            { 'data-seq': r.seq },
            h('td', {}, r.seq),
            h('td', {}, when(r.time)),
            h('td', {}, r.actor),
            h('td', {}, r.action),
            h('td', {}, r.target ?? ''),
            h('td', {}, r.outcome),
            h('td', {}, r.requestId ?? ''),
            h('td', {}, r.reasons === undefined || r.reasons === null ? '' : h('code', { class: 'wrap' }, JSON.stringify(r.reasons))),
          ),
        ),
      );
      count.textContent = `${match.length} of ${records.length} loaded records match${match.length > SHOWN ? `; the newest ${SHOWN} are shown` : ''}.`;
    }

    function options(select: HTMLSelectElement, values: Iterable<string>): void {
      const keep = select.value;
      fill(select, h('option', { value: '' }, 'any'), [...new Set(values)].sort().map((v) => h('option', { value: v }, v)));
      select.value = keep;
    }

    async function load(): Promise<void> {
      try {
        const cp = await api<{ checkpoint: string; verifierKey: string; size: number }>('GET', '/v1/audit/checkpoint');
        note = cp.checkpoint;
        verifierKey = cp.verifierKey;
        try {
          checkpoint = openCheckpoint(note, verifierKey);
          fill(
            cpBox,
            h('dl', {}, h('dt', {}, 'Origin'), h('dd', {}, checkpoint.origin), h('dt', {}, 'Tree size'), h('dd', { class: 'cp-size' }, checkpoint.size), h('dt', {}, 'Root hash'), h('dd', {}, h('code', { class: 'wrap' }, toBase64(checkpoint.rootHash))), h('dt', {}, 'Log key'), h('dd', {}, h('code', { class: 'wrap' }, verifierKey))),
            h('details', {}, h('summary', {}, 'Signed note'), h('pre', {}, note)),
          );
        } catch (err) {
          fill(cpBox, h('p', { class: 'error', role: 'alert' }, `The checkpoint does not open: ${describeError(err)}`));
        }
        let after: number | undefined;
        for (;;) {
          status.textContent = `Loading records… ${records.length} so far.`;
          const page = await api<{ records: AuditRecord[]; lines: string[] }>('GET', `/v1/audit?limit=${PAGE}${after === undefined ? '' : `&after=${after}`}`);
          if (stopped) return;
          records.push(...page.records);
          lines.push(...page.lines);
          if (page.records.length < PAGE) break;
          after = page.records[page.records.length - 1]!.seq;
        }
        options(action, records.map((r) => r.action));
        options(outcome, records.map((r) => r.outcome));
        status.textContent = `Loaded ${records.length} records.`;
        verify.disabled = false;
        exportButton.disabled = false;
        render();
      } catch (err) {
        status.textContent = '';
        error.textContent = describeError(err);
      }
    }

    verify.addEventListener('click', async () => {
      error.textContent = '';
      result.className = 'verdict';
      result.textContent = `Verifying ${lines.length} lines in this browser…`;
      try {
        const v = await verifyExport(lines, note, verifierKey);
        result.className = 'verdict good';
        result.textContent = `Verified: records ${v.start} to ${v.size - 1} rebuild the signed root of the checkpoint at tree size ${v.size}${v.beyond ? `; ${v.beyond} later record${v.beyond === 1 ? ' is' : 's are'} in order but not yet covered by a checkpoint` : ''}.`;
      } catch (err) {
        result.className = 'verdict bad';
        result.textContent = `Verification failed: ${describeError(err)}`;
      }
    });
    exportButton.addEventListener('click', () => {
      const base = `audit-${who.tenantName}-${checkpoint?.size ?? records.length}`;
      download(`${base}.jsonl`, `${lines.join('\n')}\n`, 'application/x-ndjson');
      download(`${base}.checkpoint`, note, 'text/plain');
      download(`${base}.pub`, `${verifierKey}\n`, 'text/plain');
      result.className = 'verdict';
      result.textContent = `Saved ${base}.jsonl, .checkpoint and .pub; check them offline with: sectorcrypt audit verify ${base}.jsonl --checkpoint ${base}.checkpoint --public-key ${base}.pub`;
    });
    for (const input of [actor, action, outcome, from, to]) input.addEventListener('input', render);

    fill(
      root,
      h('h1', {}, 'Audit log'),
      status,
      error,
      h('section', {}, h('h2', {}, 'Latest checkpoint'), cpBox, h('div', { class: 'buttons' }, verify, exportButton), result),
      h(
        'section',
        {},
        h('h2', {}, 'Records'),
        h('form', { class: 'filters', onsubmit: (e: Event) => e.preventDefault() }, field('Actor', actor), field('Action', action), field('Outcome', outcome), field('From (local time)', from), field('To (local time)', to)),
        count,
        h(
          'div',
          { class: 'scroll' },
          h('table', { class: 'log' }, h('caption', {}, 'Audit records, newest first'), h('thead', {}, h('tr', {}, ['Seq', 'Time', 'Actor', 'Action', 'Target', 'Outcome', 'Request', 'Reasons'].map((c) => h('th', { scope: 'col' }, c)))), body),
        ),
      ),
    );
    void load();
    return () => {
      stopped = true;
    };
  },
};
