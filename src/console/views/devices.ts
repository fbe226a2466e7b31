/**
 * Admin: enrolled devices (revoke, after a second click) and one-time enrollment tokens,
 * shown once when made.
 */
import { api, describeError } from '../api.js';
import { alertLine, field, fill, h, statusLine, when } from '../dom.js';
import type { View } from './types.js';
import type { DeviceAnswer as Device } from '../../protocol/answers.js';

function enrollmentForm(): HTMLElement {
  const groups = h('input', { type: 'text', required: true, placeholder: 'prod-db, eu' });
  const uses = h('input', { type: 'number', min: 1, max: 100000, value: 1, required: true });
  const life = h('input', { type: 'number', min: 60, max: 2592000, value: 3600, required: true });
  const out = h('div', { class: 'once' });
  const status = statusLine();
  const error = alertLine();
  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        error.textContent = '';
        fill(out);
        status.textContent = 'Making a token…';
        try {
          const body = {
            groups: groups.value
              .split(',')
              .map((g) => g.trim())
              .filter(Boolean),
            uses: Number(uses.value),
            expiresInSeconds: Number(life.value),
          };
          const t = await api<{ tokenId: string; token: string; expiresAt: string }>('POST', '/v1/enrollment-tokens', body);
          status.textContent = '';
          const shown = h('input', { type: 'text', readonly: true, value: t.token, class: 'secret' });
          fill(
            out,
            field(
              'Enrollment token (shown once: copy it now)',
              shown,
              `Token ${t.tokenId}, expires ${when(t.expiresAt)}. Give it to: sectorcrypt agent enroll --token …`,
            ),
          );
          shown.select();
        } catch (err) {
          status.textContent = '';
          error.textContent = describeError(err);
        }
      },
    },
    h('h2', {}, 'New enrollment token'),
    field('Groups (comma separated)', groups, 'The enrolled device joins these groups; policies bind groups.'),
    field('Uses', uses),
    field('Expires in (seconds)', life),
    h('button', { type: 'submit' }, 'Create enrollment token'),
    status,
    error,
    out,
  );
  return form;
}

export const devicesView: View = {
  id: 'devices',
  title: 'Devices',
  roles: ['admin'],
  mount(root) {
    const status = statusLine('Loading devices…');
    const error = alertLine();
    const body = h('tbody');
    const table = h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h('caption', {}, 'Enrolled devices'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Name', 'Device id', 'Groups', 'Enrolled', 'State', 'Action'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        body,
      ),
    );

    async function load(): Promise<void> {
      try {
        const { devices } = await api<{ devices: Device[] }>('GET', '/v1/devices');
        fill(body, devices.map(row));
        status.textContent = `${devices.length} device${devices.length === 1 ? '' : 's'}.`;
      } catch (err) {
        status.textContent = '';
        error.textContent = describeError(err);
      }
    }

    function row(d: Device): HTMLTableRowElement {
      const cell = h('td');
      const revoke = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${d.name}` }, 'Revoke');
      revoke.addEventListener('click', () => {
        const confirm = h('button', { type: 'button', class: 'danger' }, `Yes, revoke ${d.name}`);
        const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
        cancel.addEventListener('click', () => (fill(cell, revoke), revoke.focus()));
        confirm.addEventListener('click', async () => {
          confirm.disabled = true;
          try {
            await api('POST', `/v1/devices/${encodeURIComponent(d.deviceId)}/revoke`);
            error.textContent = '';
            await load();
          } catch (err) {
            error.textContent = describeError(err);
            confirm.disabled = false;
          }
        });
        fill(cell, confirm, ' ', cancel);
        confirm.focus();
      });
      fill(cell, d.revokedAt ? '' : revoke);
      return h(
        'tr',
        { 'data-device-id': d.deviceId },
        h('td', {}, d.name),
        h('td', {}, h('code', {}, d.deviceId)),
        h('td', {}, d.groups.join(', ')),
        h('td', {}, when(d.enrolledAt)),
        h('td', {}, d.revokedAt ? `revoked ${when(d.revokedAt)}` : 'active'),
        cell,
      );
    }

    fill(root, h('h1', {}, 'Devices'), status, error, table, enrollmentForm());
    void load();
    return () => {};
  },
};
