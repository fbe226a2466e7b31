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

/** What the page loaded: the records and their export lines, and the checkpoint they verify against. */
interface Loaded {
  records: AuditRecord[];
  lines: string[];
  note: string;
  verifierKey: string;
  checkpoint: Checkpoint | null;
}

/** The filter controls above the records. */
interface Filters {
  actor: HTMLInputElement;
  /** The record's request id: a release request's, or AWS KMS's kmsRequestId for an XKS call (docs/xks.md). */
  request: HTMLInputElement;
  action: HTMLSelectElement;
  outcome: HTMLSelectElement;
  from: HTMLInputElement;
  to: HTMLInputElement;
}

/** The parts of the page the functions below write into. */
interface Page {
  status: HTMLParagraphElement;
  error: HTMLParagraphElement;
  result: HTMLParagraphElement;
  cpBox: HTMLDivElement;
  body: HTMLTableSectionElement;
  count: HTMLParagraphElement;
  verify: HTMLButtonElement;
  exportButton: HTMLButtonElement;
}

function filterControls(): Filters {
  return {
    actor: h('input', { type: 'search', placeholder: 'usr_… or broker' }),
    request: h('input', { type: 'search', placeholder: 'req_… or a kmsRequestId' }),
    action: h('select', {}, h('option', { value: '' }, 'any')),
    outcome: h('select', {}, h('option', { value: '' }, 'any')),
    from: h('input', { type: 'datetime-local', step: 1 }),
    to: h('input', { type: 'datetime-local', step: 1 }),
  };
}

/** datetime-local is the browser's local time; records are UTC. */
const bound = (input: HTMLInputElement) => (input.value ? new Date(input.value).getTime() : undefined);

function matching(records: AuditRecord[], f: Filters): AuditRecord[] {
  const a = f.actor.value.trim();
  const req = f.request.value.trim();
  const lo = bound(f.from);
  const hi = bound(f.to);
  return records.filter((r) => {
    if (a && !r.actor.includes(a)) return false;
    if (req && !(r.requestId ?? '').includes(req)) return false;
    if (f.action.value && r.action !== f.action.value) return false;
    if (f.outcome.value && r.outcome !== f.outcome.value) return false;
    const t = Date.parse(r.time);
    return (lo === undefined || t >= lo) && (hi === undefined || t <= hi);
  });
}

function recordRow(r: AuditRecord): HTMLTableRowElement {
  return h(
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
  );
}

/** The newest matching records, newest first, and how many matched. */
function render(page: Page, records: AuditRecord[], filters: Filters): void {
  const match = matching(records, filters);
  fill(page.body, match.slice(-SHOWN).reverse().map(recordRow));
  page.count.textContent = `${match.length} of ${records.length} loaded records match${match.length > SHOWN ? `; the newest ${SHOWN} are shown` : ''}.`;
}

/** A select's options from the values seen, keeping what was chosen. */
function options(select: HTMLSelectElement, values: Iterable<string>): void {
  const keep = select.value;
  fill(
    select,
    h('option', { value: '' }, 'any'),
    [...new Set(values)].sort().map((v) => h('option', { value: v }, v)),
  );
  select.value = keep;
}

/** Shows the checkpoint's fields, or why it does not open; the opened checkpoint or null. */
function showCheckpoint(cpBox: HTMLDivElement, note: string, verifierKey: string): Checkpoint | null {
  try {
    const checkpoint = openCheckpoint(note, verifierKey);
    fill(
      cpBox,
      h(
        'dl',
        {},
        h('dt', {}, 'Origin'),
        h('dd', {}, checkpoint.origin),
        h('dt', {}, 'Tree size'),
        h('dd', { class: 'cp-size' }, checkpoint.size),
        h('dt', {}, 'Root hash'),
        h('dd', {}, h('code', { class: 'wrap' }, toBase64(checkpoint.rootHash))),
        h('dt', {}, 'Log key'),
        h('dd', {}, h('code', { class: 'wrap' }, verifierKey)),
      ),
      h('details', {}, h('summary', {}, 'Signed note'), h('pre', {}, note)),
    );
    return checkpoint;
  } catch (err) {
    fill(cpBox, h('p', { class: 'error', role: 'alert' }, `The checkpoint does not open: ${describeError(err)}`));
    return null;
  }
}

/** Every page of records into `loaded`; false when the view was left meanwhile. */
async function loadRecords(loaded: Loaded, status: HTMLParagraphElement, stopped: () => boolean): Promise<boolean> {
  let after: number | undefined;
  for (;;) {
    status.textContent = `Loading records… ${loaded.records.length} so far.`;
    const page = await api<{ records: AuditRecord[]; lines: string[] }>(
      'GET',
      `/v1/audit?limit=${PAGE}${after === undefined ? '' : `&after=${after}`}`,
    );
    if (stopped()) return false;
    loaded.records.push(...page.records);
    loaded.lines.push(...page.lines);
    if (page.records.length < PAGE) return true;
    after = page.records[page.records.length - 1]!.seq;
  }
}

/** The checkpoint, then the records; the buttons come alive once both are in. */
async function load(page: Page, loaded: Loaded, filters: Filters, stopped: () => boolean): Promise<void> {
  try {
    const cp = await api<{ checkpoint: string; verifierKey: string; size: number }>('GET', '/v1/audit/checkpoint');
    loaded.note = cp.checkpoint;
    loaded.verifierKey = cp.verifierKey;
    loaded.checkpoint = showCheckpoint(page.cpBox, loaded.note, loaded.verifierKey);
    if (!(await loadRecords(loaded, page.status, stopped))) return;
    options(
      filters.action,
      loaded.records.map((r) => r.action),
    );
    options(
      filters.outcome,
      loaded.records.map((r) => r.outcome),
    );
    page.status.textContent = `Loaded ${loaded.records.length} records.`;
    page.verify.disabled = false;
    page.exportButton.disabled = false;
    render(page, loaded.records, filters);
  } catch (err) {
    page.status.textContent = '';
    page.error.textContent = describeError(err);
  }
}

async function verifyLoaded(page: Page, loaded: Loaded): Promise<void> {
  page.error.textContent = '';
  page.result.className = 'verdict';
  page.result.textContent = `Verifying ${loaded.lines.length} lines in this browser…`;
  try {
    const v = await verifyExport(loaded.lines, loaded.note, loaded.verifierKey);
    page.result.className = 'verdict good';
    page.result.textContent = `Verified: records ${v.start} to ${v.size - 1} rebuild the signed root of the checkpoint at tree size ${v.size}${v.beyond ? `; ${v.beyond} later record${v.beyond === 1 ? ' is' : 's are'} in order but not yet covered by a checkpoint` : ''}.`;
  } catch (err) {
    page.result.className = 'verdict bad';
    page.result.textContent = `Verification failed: ${describeError(err)}`;
  }
}

/** Saves the three files `sectorcrypt audit verify` takes. */
function exportLoaded(page: Page, loaded: Loaded, who: WhoAmI): void {
  const base = `audit-${who.tenantName}-${loaded.checkpoint?.size ?? loaded.records.length}`;
  download(`${base}.jsonl`, `${loaded.lines.join('\n')}\n`, 'application/x-ndjson');
  download(`${base}.checkpoint`, loaded.note, 'text/plain');
  download(`${base}.pub`, `${loaded.verifierKey}\n`, 'text/plain');
  page.result.className = 'verdict';
  page.result.textContent = `Saved ${base}.jsonl, .checkpoint and .pub; check them offline with: sectorcrypt audit verify ${base}.jsonl --checkpoint ${base}.checkpoint --public-key ${base}.pub`;
}

function layout(root: HTMLElement, page: Page, f: Filters): void {
  fill(
    root,
    h('h1', {}, 'Audit log'),
    page.status,
    page.error,
    h(
      'section',
      {},
      h('h2', {}, 'Latest checkpoint'),
      page.cpBox,
      h('div', { class: 'buttons' }, page.verify, page.exportButton),
      page.result,
    ),
    h(
      'section',
      {},
      h('h2', {}, 'Records'),
      h(
        'form',
        { class: 'filters', onsubmit: (e: Event) => e.preventDefault() },
        field('Actor', f.actor),
        field('Request', f.request),
        field('Action', f.action),
        field('Outcome', f.outcome),
        field('From (local time)', f.from),
        field('To (local time)', f.to),
      ),
      page.count,
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'log' },
          h('caption', {}, 'Audit records, newest first'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Seq', 'Time', 'Actor', 'Action', 'Target', 'Outcome', 'Request', 'Reasons'].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          page.body,
        ),
      ),
    ),
  );
}

export const auditView: View = {
  id: 'audit',
  title: 'Audit log',
  roles: ['auditor', 'operator'],
  mount(root, who: WhoAmI) {
    const page: Page = {
      status: statusLine('Loading the checkpoint…'),
      error: alertLine(),
      result: h('p', { class: 'verdict', role: 'status', 'aria-live': 'polite' }),
      cpBox: h('div', { class: 'checkpoint' }),
      body: h('tbody'),
      count: h('p', { class: 'hint', 'aria-live': 'polite' }),
      verify: h('button', { type: 'button', disabled: true }, 'Verify'),
      exportButton: h('button', { type: 'button', disabled: true, class: 'secondary' }, 'Export'),
    };
    const filters = filterControls();
    const loaded: Loaded = { records: [], lines: [], note: '', verifierKey: '', checkpoint: null };
    let stopped = false;

    page.verify.addEventListener('click', () => verifyLoaded(page, loaded));
    page.exportButton.addEventListener('click', () => exportLoaded(page, loaded, who));
    for (const input of Object.values(filters)) input.addEventListener('input', () => render(page, loaded.records, filters));
    layout(root, page, filters);
    void load(page, loaded, filters, () => stopped);
    return () => {
      stopped = true;
    };
  },
};
