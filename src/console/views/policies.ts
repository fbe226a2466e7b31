/**
 * Admin: release policies. The JSON editor checks the document as it is typed with the
 * broker's own validatePolicy (src/broker/policy/validate.ts, bundled in), so the page names
 * the same path of the first error the broker would; the broker checks it again on save.
 * Lowering a policy's approvers waits for a second admin (the answer says so).
 */
import { validatePolicy } from '../../broker/policy/validate.js';
import { api, describeError } from '../api.js';
import { alertLine, field, fill, h, statusLine, when } from '../dom.js';
import type { View } from './types.js';
import type { PolicyAnswer as StoredPolicy, PendingActionAnswer as Pending } from '../../protocol/answers.js';

const TEMPLATE = {
  keys: ['key_…'],
  devices: { groups: ['prod-db'] },
  rules: { allOf: [{ claim: 'integrity.firewall', equals: true }] },
  approval: { mode: 'manual', approvers: 2, ttlSeconds: 3600 },
};

/** null when valid, else what is wrong and where. */
export function checkPolicyText(name: string, text: string): { path: string; message: string } | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { path: '(JSON)', message: (err as Error).message };
  }
  const withName =
    typeof doc === 'object' && doc !== null && !Array.isArray(doc)
      ? { ...(doc as object), name: (doc as { name?: unknown }).name ?? name }
      : doc;
  if (typeof doc === 'object' && doc !== null && 'name' in doc && (doc as { name: unknown }).name !== name) {
    return { path: 'name', message: 'differs from the policy name above' };
  }
  try {
    validatePolicy(withName);
    return null;
  } catch (err) {
    const e = err as Error & { path?: string };
    return { path: e.path ?? '(root)', message: e.message.replace(/^invalid policy at \S+: /, '').replace(/ \(ERR_[A-Z_]+\)$/, '') };
  }
}

/** A change that weakens a key's release waits for a second admin (docs/broker.md "Separation of duties"). */
function waits(a: Pending): string {
  return `${a.reason ? `${a.reason[0]!.toUpperCase()}${a.reason.slice(1)}: ` : ''}this change waits for a second admin to confirm action ${a.actionId} (Keys view).`;
}

export const policiesView: View = {
  id: 'policies',
  title: 'Policies',
  roles: ['admin'],
  mount(root) {
    const status = statusLine('Loading policies…');
    const error = alertLine();
    const notice = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
    const list = h('ul', { class: 'policy-list' });
    const name = h('input', { type: 'text', required: true, maxlength: 64, value: 'new-policy', spellcheck: 'false' });
    const editor = h('textarea', { rows: 16, spellcheck: 'false', class: 'code', 'aria-invalid': 'false' }) as HTMLTextAreaElement;
    const verdict = h('p', { class: 'verdict', id: 'policy-verdict', 'aria-live': 'polite' });
    editor.setAttribute('aria-describedby', verdict.id);
    const save = h('button', { type: 'submit' }, 'Save policy');
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete policy');

    function check(): void {
      const problem = checkPolicyText(name.value.trim(), editor.value);
      if (problem) {
        fill(verdict, h('span', { class: 'bad' }, 'Invalid at ', h('code', { class: 'path' }, problem.path), `: ${problem.message}`));
        editor.setAttribute('aria-invalid', 'true');
        save.disabled = true;
      } else {
        fill(verdict, h('span', { class: 'good' }, 'Valid policy.'));
        editor.setAttribute('aria-invalid', 'false');
        save.disabled = false;
      }
    }

    function edit(p: StoredPolicy | null): void {
      name.value = p?.name ?? 'new-policy';
      const doc = p ? { ...p.policy } : TEMPLATE;
      delete (doc as { name?: unknown }).name;
      editor.value = JSON.stringify(doc, null, 2);
      check();
      editor.focus();
    }

    async function load(): Promise<void> {
      try {
        const { policies } = await api<{ policies: StoredPolicy[] }>('GET', '/v1/policies');
        fill(
          list,
          policies.map((p) =>
            h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => edit(p) }, p.name), ` updated ${when(p.updatedAt)}`),
          ),
          h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => edit(null) }, 'New policy…')),
        );
        status.textContent = `${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}.`;
      } catch (err) {
        status.textContent = '';
        error.textContent = describeError(err);
      }
    }

    editor.addEventListener('input', check);
    name.addEventListener('input', check);
    remove.addEventListener('click', async () => {
      error.textContent = '';
      try {
        const answer = await api<{ deleted?: boolean; actionId?: string; reason?: string }>(
          'DELETE',
          `/v1/policies/${encodeURIComponent(name.value.trim())}`,
        );
        notice.textContent = answer.actionId ? waits(answer as Pending) : `Deleted ${name.value.trim()}.`;
        await load();
      } catch (err) {
        error.textContent = describeError(err);
      }
    });
    const form = h(
      'form',
      {
        onsubmit: async (e: Event) => {
          e.preventDefault();
          error.textContent = '';
          notice.textContent = 'Saving…';
          try {
            const answer = await api<{ name?: string; actionId?: string; reason?: string }>(
              'PUT',
              `/v1/policies/${encodeURIComponent(name.value.trim())}`,
              JSON.parse(editor.value),
            );
            notice.textContent = answer.actionId ? waits(answer as Pending) : `Saved ${name.value.trim()}.`;
            await load();
          } catch (err) {
            notice.textContent = '';
            error.textContent = describeError(err);
          }
        },
      },
      h('h2', {}, 'Edit'),
      field('Policy name', name),
      // The verdict sits above the editor, so that it stays in sight while typing.
      h(
        'div',
        { class: 'field wide' },
        h('label', { for: (editor.id ||= 'policy-editor') }, 'Policy (JSON)'),
        h('small', {}, 'Checked as you type with the broker’s own rules.'),
        verdict,
        editor,
      ),
      h('div', { class: 'buttons' }, save, remove),
    );
    fill(root, h('h1', {}, 'Policies'), status, notice, error, list, form);
    edit(null);
    void load();
    return () => {};
  },
};
