/**
 * Approver: pending release requests, newest first, polled every few seconds. Each card
 * shows who asks (device), for what (key, resource), with which claims, what the policy
 * said (its trace), the approvals so far and needed, and when it expires; Approve and Deny
 * take an optional comment. The broker enforces distinct approvers and roles; its refusal
 * is shown on the card as it came.
 */
import { ApiError, api, describeError, providerSignInUrl, type WhoAmI } from '../api.js';
import { alertLine, fill, h, relative, statusLine, uid, when } from '../dom.js';
import type { View } from './types.js';
import type { ReleaseRequestAnswer } from '../../protocol/answers.js';

const POLL_MS = 3000;

type PendingRequest = ReleaseRequestAnswer;

interface Names {
  devices: Map<string, { name: string; groups: string[] }>;
  keys: Map<string, string>;
}

function show(v: unknown): string {
  return v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v);
}

function traceTable(r: PendingRequest): HTMLElement {
  const trace = r.trace ?? [];
  if (trace.length === 0)
    return h(
      'p',
      {},
      r.policy
        ? `Every rule of policy ${r.policy} held; it asks for ${r.approversNeeded} approval${r.approversNeeded === 1 ? '' : 's'}.`
        : 'No trace recorded.',
    );
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('caption', {}, 'Policy trace'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Policy', 'Rule', 'Claim', 'Expected', 'Actual'].map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        trace.map((t) =>
          h(
            'tr',
            {},
            h('td', {}, show(t.policy)),
            h('td', {}, show(t.rule)),
            h('td', {}, show(t.claim)),
            h('td', {}, show(t.expected)),
            h('td', {}, show(t.actual)),
          ),
        ),
      ),
    ),
  );
}

/** The tpm claims of a request, as devices/tpm.ts makes them (present only when the broker verified the quote). */
interface TpmClaims {
  verified?: boolean;
  secureBoot?: boolean;
  resetCount?: number;
  kernelCmdline?: string;
  pcrs?: { sha256?: Record<string, string> };
  ima?: Record<string, string[]>;
}

/**
 * The TPM evidence the broker verified for this request: what an approver weighs beside the
 * trace. Claims under tpm come from the quote and the event logs that replayed to it, never
 * from the agent's word (docs/claims.md "TPM 2.0 evidence").
 */
function tpmEvidence(r: PendingRequest): HTMLElement | null {
  const tpm = (r.claims as { tpm?: TpmClaims } | undefined)?.tpm;
  if (!tpm || tpm.verified !== true) return null;
  const pcrs = Object.entries(tpm.pcrs?.sha256 ?? {}).sort((a, b) => Number(a[0]) - Number(b[0]));
  const ima = Object.entries(tpm.ima ?? {});
  const headingId = uid('tpm');
  return h(
    'section',
    { class: 'tpm', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, 'TPM evidence (verified by the broker)'),
    h(
      'dl',
      {},
      h('dt', {}, 'Quote'),
      h('dd', {}, "signed in the device's TPM by its enrolled attestation key, for this request's challenge"),
      h('dt', {}, 'Secure Boot'),
      h('dd', { class: 'secure-boot' }, tpm.secureBoot === undefined ? 'not measured' : tpm.secureBoot ? 'on' : 'off'),
      h('dt', {}, 'Boot count'),
      h('dd', {}, show(tpm.resetCount)),
      h('dt', {}, 'Kernel command line'),
      h('dd', {}, tpm.kernelCmdline === undefined ? 'not measured' : h('code', {}, tpm.kernelCmdline)),
      h('dt', {}, 'IMA'),
      h('dd', {}, tpm.ima === undefined ? 'no IMA log' : `${ima.length} measured file${ima.length === 1 ? '' : 's'}`),
    ),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'pcrs' },
        h('caption', {}, 'Quoted PCRs (sha256)'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'PCR'), h('th', { scope: 'col' }, 'Value'))),
        h(
          'tbody',
          {},
          pcrs.map(([n, v]) => h('tr', {}, h('td', {}, n), h('td', {}, h('code', {}, v)))),
        ),
      ),
    ),
    ima.length
      ? h(
          'details',
          {},
          h('summary', {}, `IMA measurements (${ima.length})`),
          h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              { class: 'ima' },
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'File'), h('th', { scope: 'col' }, 'Hashes'))),
              h(
                'tbody',
                {},
                ima.map(([path, hashes]) => h('tr', {}, h('td', {}, path), h('td', {}, h('code', {}, hashes.join(' '))))),
              ),
            ),
          ),
        )
      : null,
  );
}

function card(r: PendingRequest, names: Names, canVote: boolean, refresh: (message: string) => void, who: WhoAmI): HTMLElement {
  const device = names.devices.get(r.deviceId);
  const keyName = names.keys.get(r.keyId);
  const headingId = uid('req');
  const comment = h('textarea', { id: uid('comment'), rows: 2, maxlength: 1000 });
  const error = alertLine();
  const status = statusLine();
  const approvals = h('dd', { class: 'approvals' }, `${r.approvals} of ${r.approversNeeded}`);
  const expires = h('dd', { class: 'expires' }, `${when(r.expiresAt)} (${relative(r.expiresAt)})`);
  const buttons: HTMLButtonElement[] = [];
  const vote = async (verdict: 'approve' | 'deny') => {
    for (const b of buttons) b.disabled = true;
    error.textContent = '';
    status.textContent = verdict === 'approve' ? 'Approving…' : 'Denying…';
    try {
      const text = comment.value.trim();
      const answer = await api<PendingRequest>(
        'POST',
        `/v1/requests/${encodeURIComponent(r.requestId)}/${verdict}`,
        text ? { comment: text } : {},
      );
      const message =
        answer.status === 'pending'
          ? `You approved ${r.requestId}: ${answer.approvals} of ${answer.approversNeeded}, waiting for more approvers.`
          : `Request ${r.requestId} is now ${answer.status}.`;
      status.textContent = message;
      approvals.textContent = `${answer.approvals} of ${answer.approversNeeded}`;
      // Still pending: the buttons stay; the broker, not the page, refuses a second vote.
      for (const b of buttons) b.disabled = false;
      refresh(message);
    } catch (err) {
      status.textContent = '';
      error.textContent = describeError(err);
      // The vote needs a fresher sign-in or a second factor: ask the provider again (step-up).
      if (err instanceof ApiError && err.code === 'ERR_STEP_UP' && who.signIn)
        error.append(
          ' ',
          h(
            'button',
            { type: 'button', class: 'step-up', onclick: () => location.assign(providerSignInUrl(who.tenantName, true)) },
            'Sign in again',
          ),
        );
      for (const b of buttons) b.disabled = false;
    }
  };
  buttons.push(h('button', { type: 'button', class: 'approve', onclick: () => void vote('approve') }, 'Approve'));
  buttons.push(h('button', { type: 'button', class: 'deny danger', onclick: () => void vote('deny') }, 'Deny'));
  const article = h(
    'article',
    { class: 'request', 'data-request-id': r.requestId, 'aria-labelledby': headingId },
    h('h2', { id: headingId }, `${keyName ?? r.keyId} for ${device?.name ?? r.deviceId}`),
    h(
      'dl',
      {},
      h('dt', {}, 'Device'),
      h('dd', {}, `${device?.name ?? '?'} (${r.deviceId})${device?.groups.length ? `, groups ${device.groups.join(', ')}` : ''}`),
      h('dt', {}, 'Key'),
      h('dd', {}, `${keyName ?? '?'} (${r.keyId}), version ${r.version}`),
      h('dt', {}, 'Resource'),
      h('dd', {}, r.resource),
      h('dt', {}, 'Policy'),
      h('dd', {}, r.policy ?? '—'),
      h('dt', {}, 'Approvals'),
      approvals,
      h('dt', {}, 'Asked'),
      h('dd', {}, `${when(r.createdAt)} (${relative(r.createdAt)})`),
      h('dt', {}, 'Expires'),
      expires,
      h('dt', {}, 'Request'),
      h('dd', {}, h('code', {}, r.requestId)),
    ),
    traceTable(r),
    tpmEvidence(r),
    // Admins see what waits (docs/broker.md: they list requests); only approvers decide.
    canVote ? h('div', { class: 'field' }, h('label', { for: comment.id }, 'Comment (kept in the audit log)'), comment) : null,
    canVote
      ? h('div', { class: 'buttons' }, buttons)
      : h('p', { class: 'hint' }, 'Approvers decide this request; as an admin you can only see it.'),
    status,
    error,
    // Below the buttons and closed: the decision fits one screen; the trace above already
    // names every claim a rule looked at.
    h('details', {}, h('summary', {}, 'All claims'), h('pre', { class: 'claims' }, JSON.stringify(r.claims, null, 2))),
  );
  (article as HTMLElement & { update?: (n: PendingRequest) => void }).update = (n) => {
    approvals.textContent = `${n.approvals} of ${n.approversNeeded}`;
    expires.textContent = `${when(n.expiresAt)} (${relative(n.expiresAt)})`;
  };
  return article;
}

export const requestsView: View = {
  id: 'requests',
  title: 'Pending requests',
  roles: ['approver', 'admin'],
  mount(root, who) {
    const canVote = who.roles.includes('approver');
    const status = statusLine('Loading pending requests…');
    const error = alertLine();
    const notice = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
    const list = h('div', { class: 'requests' });
    fill(
      root,
      h('h1', {}, 'Pending requests'),
      h('p', { class: 'hint' }, `Newest first; refreshed every ${POLL_MS / 1000} seconds.`),
      notice,
      status,
      error,
      list,
    );
    const names: Names = { devices: new Map(), keys: new Map() };
    const cards = new Map<string, HTMLElement & { update?: (n: PendingRequest) => void }>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;

    async function loadNames(): Promise<void> {
      const [devices, keys] = await Promise.all([
        api<{ devices: { deviceId: string; name: string; groups: string[] }[] }>('GET', '/v1/devices'),
        api<{ keys: { keyId: string; name: string }[] }>('GET', '/v1/keys'),
      ]);
      for (const d of devices.devices) names.devices.set(d.deviceId, { name: d.name, groups: d.groups });
      for (const k of keys.keys) names.keys.set(k.keyId, k.name);
    }

    async function poll(): Promise<void> {
      clearTimeout(timer);
      try {
        const { requests } = await api<{ requests: PendingRequest[] }>('GET', '/v1/requests?status=pending&limit=200');
        if (stopped) return;
        if (requests.some((r) => !names.devices.has(r.deviceId) || !names.keys.has(r.keyId))) await loadNames().catch(() => {});
        const seen = new Set(requests.map((r) => r.requestId));
        for (const [id, el] of cards) if (!seen.has(id)) (el.remove(), cards.delete(id));
        // Newest first: walk in answer order and keep the DOM in that order, reusing cards
        // so that a comment being typed survives the refresh.
        let previous: Element | null = null;
        for (const r of requests) {
          let el = cards.get(r.requestId);
          if (el) el.update?.(r);
          else
            cards.set(
              r.requestId,
              (el = card(
                r,
                names,
                canVote,
                (message) => {
                  notice.textContent = message;
                  void poll();
                },
                who,
              )),
            );
          if (previous === null ? list.firstElementChild !== el : previous.nextElementSibling !== el) {
            if (previous === null) list.prepend(el);
            else previous.after(el);
          }
          previous = el;
        }
        status.textContent = `${requests.length === 0 ? 'No pending requests.' : `${requests.length} pending request${requests.length === 1 ? '' : 's'}.`} Updated ${new Date().toLocaleTimeString()}.`;
        error.textContent = '';
      } catch (err) {
        error.textContent = `Could not refresh: ${describeError(err)}`;
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    }

    void loadNames()
      .catch(() => {})
      .then(poll);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  },
};
