/**
 * Admin: the tenant's users and their roles. A new user gets an invitation, shown once, that
 * the user redeems for their own token (the sign-in page takes it). The broker refuses admin
 * together with approver, and a grant of admin or approver waits for a second admin where
 * two-person rules hold; the page says so. Disabling a user stops all it holds at once.
 */
import { api, describeError } from '../api.js';
import { alertLine, fill, h, statusLine, uid, when } from '../dom.js';
import type { View } from './types.js';
import type { UserAnswer as User, InvitationAnswer as Invitation, PendingActionAnswer as Pending } from '../../protocol/answers.js';

const ROLES = ['admin', 'approver', 'auditor'] as const;

const waits = (a: Pending) =>
  `${a.reason ? `${a.reason[0]!.toUpperCase()}${a.reason.slice(1)}` : 'This change'} waits for a second admin to confirm action ${a.actionId} (Keys view).`;

function roleBoxes(legend: string, checked: string[]): { el: HTMLFieldSetElement; value(): string[] } {
  const boxes = ROLES.map((r) => {
    const input = h('input', { type: 'checkbox', id: uid('role'), value: r, checked: checked.includes(r) });
    return { r, input, label: h('label', { for: input.id, class: 'check' }, input, ` ${r}`) };
  });
  return {
    el: h(
      'fieldset',
      {},
      h('legend', {}, legend),
      boxes.map((b) => b.label),
    ),
    value: () => boxes.filter((b) => b.input.checked).map((b) => b.r),
  };
}

export const usersView: View = {
  id: 'users',
  title: 'Users',
  roles: ['admin'],
  mount(root) {
    const status = statusLine('Loading users…');
    const notice = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
    const error = alertLine();
    const body = h('tbody');
    const once = h('div', { class: 'once' });

    async function load(): Promise<void> {
      try {
        const { users } = await api<{ users: User[] }>('GET', '/v1/users');
        fill(body, users.map(row));
        status.textContent = `${users.length} user${users.length === 1 ? '' : 's'}.`;
      } catch (err) {
        status.textContent = '';
        error.textContent = describeError(err);
      }
    }

    function row(u: User): HTMLTableRowElement {
      const boxes = roleBoxes(`Roles of ${u.name}`, u.roles);
      const saveRoles = h('button', { type: 'button' }, `Save roles of ${u.name}`);
      saveRoles.addEventListener('click', async () => {
        error.textContent = '';
        try {
          const a = await api<{ roles?: string[] } & Partial<Pending>>('POST', `/v1/users/${encodeURIComponent(u.userId)}/roles`, {
            roles: boxes.value(),
          });
          notice.textContent = a.actionId ? waits(a as Pending) : `${u.name} now has ${a.roles!.length ? a.roles!.join(', ') : 'no role'}.`;
          await load();
        } catch (err) {
          error.textContent = describeError(err);
        }
      });
      const disable = h('button', { type: 'button', class: 'danger' }, `Disable ${u.name}`);
      disable.addEventListener('click', async () => {
        error.textContent = '';
        try {
          const a = await api<{ disabled?: boolean } & Partial<Pending>>('POST', `/v1/users/${encodeURIComponent(u.userId)}/disable`);
          notice.textContent = a.actionId ? waits(a as Pending) : `${u.name} is disabled: every token and session of theirs stopped.`;
          await load();
        } catch (err) {
          error.textContent = describeError(err);
        }
      });
      return h(
        'tr',
        { 'data-user-id': u.userId },
        h('td', {}, u.name),
        h('td', {}, h('code', {}, u.userId)),
        h('td', {}, when(u.createdAt)),
        h(
          'td',
          {},
          u.roles.length && !u.vouched && (u.roles.includes('admin') || u.roles.includes('approver'))
            ? 'no: granted by one admin alone'
            : 'yes',
        ),
        h('td', {}, boxes.el, saveRoles),
        h('td', {}, disable),
      );
    }

    const name = h('input', { type: 'text', id: uid('user'), required: true, maxlength: 128, pattern: '[A-Za-z0-9][A-Za-z0-9._@-]*' });
    const roles = roleBoxes('Roles of the new user', ['approver']);
    const form = h(
      'form',
      {
        onsubmit: async (e: Event) => {
          e.preventDefault();
          error.textContent = '';
          fill(once);
          try {
            const u = await api<{ userId: string; invitation: Invitation; pending?: Pending }>('POST', '/v1/users', {
              name: name.value.trim(),
              roles: roles.value(),
            });
            const shown = h('input', { type: 'text', id: uid('inv'), readonly: true, value: u.invitation.code, class: 'secret' });
            fill(
              once,
              h(
                'label',
                { for: shown.id },
                `Invitation for ${name.value.trim()} (shown once: give it to them; it works once, until ${when(u.invitation.expiresAt)}, on the sign-in page)`,
              ),
              shown,
              u.pending ? h('p', { class: 'notice' }, waits(u.pending)) : null,
            );
            shown.select();
            name.value = '';
            await load();
          } catch (err) {
            error.textContent = describeError(err);
          }
        },
      },
      h('h2', {}, 'New user'),
      h('div', { class: 'field' }, h('label', { for: name.id }, 'User name'), name),
      roles.el,
      h('button', { type: 'submit' }, 'Create user'),
      once,
    );

    fill(
      root,
      h('h1', {}, 'Users and roles'),
      h(
        'p',
        { class: 'hint' },
        'One user cannot be both admin and approver; the broker refuses it. A new user gets an invitation, not a token: you never hold their credential.',
      ),
      status,
      notice,
      error,
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          {},
          h('caption', {}, 'Users'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Name', 'User id', 'Made', 'Vouched', 'Roles', 'Access'].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          body,
        ),
      ),
      form,
    );
    void load();
    return () => {};
  },
};
