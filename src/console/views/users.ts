/**
 * Admin: the tenant's users and their roles. A new user's API token is shown once. The
 * broker refuses admin together with approver (separation of duties); the page shows why.
 */
import { api, describeError } from '../api.js';
import { alertLine, fill, h, statusLine, uid, when } from '../dom.js';
import type { View } from './types.js';

const ROLES = ['admin', 'approver', 'auditor'] as const;

interface User {
  userId: string;
  name: string;
  roles: string[];
  createdAt: string;
}

function roleBoxes(legend: string, checked: string[]): { el: HTMLFieldSetElement; value(): string[] } {
  const boxes = ROLES.map((r) => {
    const input = h('input', { type: 'checkbox', id: uid('role'), value: r, checked: checked.includes(r) });
    return { r, input, label: h('label', { for: input.id, class: 'check' }, input, ` ${r}`) };
  });
  return { el: h('fieldset', {}, h('legend', {}, legend), boxes.map((b) => b.label)), value: () => boxes.filter((b) => b.input.checked).map((b) => b.r) };
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
          const a = await api<{ roles: string[] }>('POST', `/v1/users/${encodeURIComponent(u.userId)}/roles`, { roles: boxes.value() });
          notice.textContent = `${u.name} now has ${a.roles.join(', ')}.`;
          await load();
        } catch (err) {
          error.textContent = describeError(err);
        }
      });
      return h('tr', { 'data-user-id': u.userId }, h('td', {}, u.name), h('td', {}, h('code', {}, u.userId)), h('td', {}, when(u.createdAt)), h('td', {}, boxes.el, saveRoles));
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
            const u = await api<{ userId: string; token: string; expiresAt: string }>('POST', '/v1/users', { name: name.value.trim(), roles: roles.value() });
            const shown = h('input', { type: 'text', id: uid('tok'), readonly: true, value: u.token, class: 'secret' });
            fill(once, h('label', { for: shown.id }, `API token of ${name.value.trim()} (shown once: copy it now; expires ${when(u.expiresAt)})`), shown);
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
      h('p', { class: 'hint' }, 'One user cannot be both admin and approver; the broker refuses it.'),
      status,
      notice,
      error,
      h('div', { class: 'scroll' }, h('table', {}, h('caption', {}, 'Users'), h('thead', {}, h('tr', {}, ['Name', 'User id', 'Made', 'Roles'].map((c) => h('th', { scope: 'col' }, c)))), body)),
      form,
    );
    void load();
    return () => {};
  },
};
