/**
 * Admin: broker keys. Create, rotate (a new version seals from now on), retire an old
 * version, destroy (a crypto-erase that waits for a second admin), and the actions that
 * wait for this admin's confirmation. The broker refuses the first admin confirming their
 * own action; the page shows that refusal rather than hiding the button.
 */
import { api, describeError, type WhoAmI } from '../api.js';
import { alertLine, field, fill, h, statusLine, when } from '../dom.js';
import type { View } from './types.js';
import type { KeyAnswer as Key, ActionAnswer as PendingAction } from '../../protocol/answers.js';

export const keysView: View = {
  id: 'keys',
  title: 'Keys',
  roles: ['admin'],
  mount(root, who: WhoAmI) {
    const status = statusLine('Loading keys…');
    const notice = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
    const error = alertLine();
    const keyList = h('div', { class: 'keys' });
    const actionList = h('div', { class: 'actions' });

    const act = async (what: string, call: () => Promise<string>) => {
      error.textContent = '';
      notice.textContent = `${what}…`;
      try {
        const message = await call();
        // Redraw first, then say it is done: the message then describes what is on screen.
        await load();
        notice.textContent = message;
      } catch (err) {
        notice.textContent = '';
        error.textContent = `${what}: ${describeError(err)}`;
      }
    };

    function keyCard(k: Key): HTMLElement {
      const latest = k.versions[k.versions.length - 1]!;
      const open = k.versions.filter((v) => !v.retired && v.version !== latest.version);
      const retireSelect = h(
        'select',
        {},
        open.map((v) => h('option', { value: v.version }, `version ${v.version}`)),
      );
      const destroy = h('button', { type: 'button', class: 'danger' }, 'Destroy…');
      const destroyBox = h('span');
      destroy.addEventListener('click', () => {
        const yes = h('button', { type: 'button', class: 'danger' }, `Ask to destroy ${k.name}`);
        const no = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
        no.addEventListener('click', () => (fill(destroyBox, destroy), destroy.focus()));
        yes.addEventListener(
          'click',
          () =>
            void act(`Destroy ${k.name}`, async () => {
              const a = await api<{ actionId: string; expiresAt: string }>('POST', `/v1/keys/${encodeURIComponent(k.keyId)}/destroy`);
              return `Destroying ${k.name} waits for a second admin to confirm action ${a.actionId} (until ${when(a.expiresAt)}).`;
            }),
        );
        fill(destroyBox, h('span', { class: 'warn' }, 'Everything sealed only to this key becomes unreadable. '), yes, ' ', no);
        yes.focus();
      });
      fill(destroyBox, destroy);
      return h(
        'article',
        { class: 'key', 'data-key-id': k.keyId },
        h('h2', {}, k.name, k.destroyed ? ' (destroyed)' : ''),
        h('p', {}, h('code', {}, k.keyId), ` · made ${when(k.createdAt)}`),
        h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            {},
            h('caption', {}, `Versions of ${k.name}`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Version', 'Public key', 'Made', 'State'].map((c) => h('th', { scope: 'col' }, c)),
              ),
            ),
            h(
              'tbody',
              {},
              k.versions.map((v) =>
                h(
                  'tr',
                  {},
                  h('td', {}, v.version),
                  h('td', {}, h('code', { class: 'wrap' }, v.publicKey)),
                  h('td', {}, when(v.createdAt)),
                  h('td', {}, v.retired ? 'retired' : v.version === latest.version ? 'seals and opens' : 'opens'),
                ),
              ),
            ),
          ),
        ),
        k.destroyed
          ? null
          : h(
              'div',
              { class: 'buttons' },
              h(
                'button',
                {
                  type: 'button',
                  onclick: () =>
                    void act(
                      `Rotate ${k.name}`,
                      async () =>
                        `${k.name} is now at version ${(await api<{ version: number }>('POST', `/v1/keys/${encodeURIComponent(k.keyId)}/rotate`)).version}.`,
                    ),
                },
                'Rotate',
              ),
              open.length
                ? h(
                    'span',
                    { class: 'inline' },
                    field(`Version of ${k.name} to retire`, retireSelect),
                    h(
                      'button',
                      {
                        type: 'button',
                        onclick: () =>
                          void act(
                            `Retire ${k.name}`,
                            async () =>
                              `${k.name} version ${(await api<{ version: number }>('POST', `/v1/keys/${encodeURIComponent(k.keyId)}/retire`, { version: Number(retireSelect.value) })).version} is retired.`,
                          ),
                      },
                      'Retire',
                    ),
                  )
                : null,
              destroyBox,
            ),
      );
    }

    function actionRow(a: PendingAction): HTMLElement {
      return h(
        'li',
        { 'data-action-id': a.actionId },
        `${a.kind} of ${a.target}${a.reason ? ` (${a.reason})` : ''}, asked by ${a.requestedBy === who.userId ? 'you' : a.requestedBy}, until ${when(a.expiresAt)} `,
        // What a confirmation writes: read it before confirming.
        a.payload === undefined ? null : h('pre', { class: 'payload' }, JSON.stringify(a.payload, null, 2)),
        h(
          'button',
          {
            type: 'button',
            onclick: () =>
              void act(
                `Confirm ${a.actionId}`,
                async () =>
                  `Action ${a.actionId} is ${(await api<{ status: string }>('POST', `/v1/actions/${encodeURIComponent(a.actionId)}/confirm`)).status}.`,
              ),
          },
          `Confirm ${a.kind}`,
        ),
        ' ',
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () =>
              void act(
                `Cancel ${a.actionId}`,
                async () =>
                  `Action ${a.actionId} is ${(await api<{ status: string }>('POST', `/v1/actions/${encodeURIComponent(a.actionId)}/cancel`)).status}.`,
              ),
          },
          `Cancel ${a.kind}`,
        ),
      );
    }

    async function load(): Promise<void> {
      try {
        const [{ keys }, { actions }] = await Promise.all([
          api<{ keys: Key[] }>('GET', '/v1/keys'),
          api<{ actions: PendingAction[] }>('GET', '/v1/actions'),
        ]);
        fill(keyList, keys.map(keyCard));
        fill(actionList, actions.length ? h('ul', {}, actions.map(actionRow)) : h('p', {}, 'Nothing waits for a second admin.'));
        status.textContent = `${keys.length} key${keys.length === 1 ? '' : 's'}.`;
      } catch (err) {
        status.textContent = '';
        error.textContent = describeError(err);
      }
    }

    const name = h('input', { type: 'text', required: true, maxlength: 128, pattern: '[A-Za-z0-9][A-Za-z0-9._@-]*' });
    const create = h(
      'form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          void act(`Create ${name.value}`, async () => {
            const k = await api<{ keyId: string; publicKey: string }>('POST', '/v1/keys', { name: name.value.trim() });
            name.value = '';
            return `Made key ${k.keyId}; its public key is ${k.publicKey}.`;
          });
        },
      },
      h('h2', {}, 'New key'),
      field('Key name', name),
      h('button', { type: 'submit' }, 'Create key'),
    );

    fill(
      root,
      h('h1', {}, 'Keys'),
      status,
      notice,
      error,
      h('section', {}, h('h2', {}, 'Waiting for a second admin'), actionList),
      keyList,
      create,
    );
    void load();
    return () => {};
  },
};
