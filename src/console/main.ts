/**
 * The console's shell: sign-in with an API token, the signed-in user's tenant and roles,
 * and the views those roles allow, one per #hash so that links, Back and the keyboard work.
 * The page only hides what a role cannot do; the broker refuses it either way.
 */
import { api, describeError, providerSignInUrl, useSession, type WhoAmI } from './api.js';
import { alertLine, field, fill, h, statusLine } from './dom.js';
import type { View } from './views/types.js';
import { requestsView } from './views/requests.js';
import { devicesView } from './views/devices.js';
import { keysView } from './views/keys.js';
import { policiesView } from './views/policies.js';
import { usersView } from './views/users.js';
import { auditView } from './views/audit.js';

const VIEWS: View[] = [devicesView, keysView, policiesView, usersView, requestsView, auditView];

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const whoEl = document.getElementById('who')!;
let who: WhoAmI | null = null;
let stop: () => void = () => {};

function allowed(view: View): boolean {
  return who !== null && view.roles.some((r) => who!.roles.includes(r));
}

function showSignIn(message = ''): void {
  stop();
  stop = () => {};
  who = null;
  useSession(null);
  fill(nav);
  fill(whoEl);
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const status = statusLine();
  const error = alertLine();
  error.textContent = message;
  const form = h(
    'form',
    {
      class: 'signin',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        button.disabled = true;
        status.textContent = 'Signing in…';
        error.textContent = '';
        try {
          const me = await api<WhoAmI>('POST', '/console/api/session', { token: input.value.trim() });
          input.value = '';
          signedIn(me);
        } catch (err) {
          status.textContent = '';
          error.textContent = describeError(err);
          button.disabled = false;
        }
      },
    },
    h('h1', {}, 'Sign in'),
    field(
      'API token',
      input,
      'Your own API token (new here? redeem your invitation below). The page trades it for a 20-minute session cookie and does not keep it.',
    ),
    button,
    status,
    error,
  );
  fill(main, form, providerForm(), redeemForm());
  input.focus();
}

/**
 * Sign-in through the tenant's OpenID provider: the broker sends the browser to the provider
 * (code flow with PKCE) and back to /console/ with the session cookie (docs/console.md).
 */
function providerForm(): HTMLFormElement {
  const tenant = h('input', { type: 'text', name: 'tenant', autocomplete: 'organization', spellcheck: 'false', required: true });
  tenant.value = localStorage.getItem('sectorcrypt.tenant') ?? '';
  return h(
    'form',
    {
      class: 'provider',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const name = tenant.value.trim();
        localStorage.setItem('sectorcrypt.tenant', name);
        location.assign(providerSignInUrl(name, false));
      },
    },
    h('h2', {}, 'Or sign in through your organisation'),
    field('Tenant', tenant, "Your tenant's name. The broker sends you to your organisation's sign-in page and back."),
    h('button', { type: 'submit', class: 'secondary' }, 'Continue with your provider'),
  );
}

/** A new user's invitation, traded for their own API token (shown once; then sign in with it). */
function redeemForm(): HTMLFormElement {
  const code = h('input', { type: 'password', name: 'invitation', autocomplete: 'off', spellcheck: 'false', required: true });
  const button = h('button', { type: 'submit', class: 'secondary' }, 'Redeem');
  const out = h('div', { class: 'once' });
  const error = alertLine();
  return h(
    'form',
    {
      class: 'redeem',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        error.textContent = '';
        fill(out);
        try {
          const r = await api<{ token: string; expiresAt: string }>('POST', '/v1/invitations/redeem', { code: code.value.trim() });
          code.value = '';
          const shown = h('input', { type: 'text', readonly: true, value: r.token, class: 'secret', 'aria-label': 'Your API token' });
          fill(out, h('p', {}, 'Your API token (shown once: keep it, e.g. in a password manager; sign in with it above):'), shown);
          shown.select();
        } catch (err) {
          error.textContent = describeError(err);
        }
      },
    },
    h('h2', {}, 'New here? Redeem your invitation'),
    field('Invitation code', code, 'The code your admin gave you. It works once and gives you a token nobody else has seen.'),
    button,
    error,
    out,
  );
}

async function signOut(): Promise<void> {
  try {
    const out = await api<{ signedOut: boolean; endSessionUrl?: string }>('DELETE', '/console/api/session');
    // A provider's sign-in: end it there too (RP-initiated logout).
    if (out.endSessionUrl) return location.assign(out.endSessionUrl);
    showSignIn('Signed out.');
  } catch (err) {
    showSignIn(`Signed out here; the broker said ${describeError(err)}`);
  }
}

function signedIn(me: WhoAmI): void {
  who = me;
  useSession(me, (message) => showSignIn(message));
  fill(
    whoEl,
    h('span', { class: 'tenant' }, 'Tenant ', h('strong', {}, me.tenantName), ` (${me.tenantId})`),
    h('span', {}, 'User ', h('strong', {}, me.userName)),
    h('span', { class: 'roles' }, 'Roles ', h('strong', {}, me.roles.join(', '))),
    h('span', { class: 'via' }, me.signIn ? `Signed in through ${new URL(me.signIn.provider).host}` : 'Local API token'),
    h('button', { type: 'button', class: 'secondary', onclick: () => void signOut() }, 'Sign out'),
  );
  void showSeparation();
  const mine = VIEWS.filter(allowed);
  fill(
    nav,
    h(
      'ul',
      {},
      mine.map((v) => h('li', {}, h('a', { href: `#${v.id}`, 'data-view': v.id }, v.title))),
    ),
  );
  if (mine.length && !VIEWS.some((v) => `#${v.id}` === location.hash)) history.replaceState(null, '', `#${mine[0]!.id}`);
  route();
}

/** Says when the tenant does not enforce two-person rules, so nobody believes it does. */
async function showSeparation(): Promise<void> {
  try {
    const health = await api<{ separation?: { admins: number; vouchedAdmins: number; twoPersonRules: string } }>('GET', '/v1/health');
    const s = health.separation;
    if (!s || s.twoPersonRules === 'enforced') return;
    whoEl.append(
      h(
        'p',
        { class: 'warning', role: 'status', 'data-separation': s.twoPersonRules },
        `Two-person rules are not enforced in this tenant: it has ${s.vouchedAdmins} vouched admin${s.vouchedAdmins === 1 ? '' : 's'} of ${s.admins}. ` +
          'One admin can change release rules and grant roles alone; the operator invites a second admin to change that.',
      ),
    );
  } catch {
    // The banner is advice; the views still work without it.
  }
}

function route(): void {
  if (!who) return;
  stop();
  stop = () => {};
  const id = location.hash.slice(1);
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.view === id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = VIEWS.find((v) => v.id === id);
  if (!view) {
    fill(
      main,
      h('p', {}, VIEWS.some(allowed) ? 'Pick a view above.' : `Your roles (${who.roles.join(', ')}) open no view of this console.`),
    );
    return;
  }
  if (!allowed(view)) {
    fill(
      main,
      h(
        'section',
        {},
        h('h1', {}, view.title),
        h('p', { class: 'error', role: 'alert' }, `This view needs the role ${view.roles.join(' or ')}; you have ${who.roles.join(', ')}.`),
      ),
    );
    return;
  }
  const section = h('section', { class: `view view-${view.id}` });
  fill(main, section);
  stop = view.mount(section, who);
}

window.addEventListener('hashchange', route);

async function start(): Promise<void> {
  // A sign-in through the provider that the broker refused comes back with its reason.
  const refused = new URLSearchParams(location.search).get('signin_error');
  if (refused !== null) history.replaceState(null, '', `${location.pathname}${location.hash}`);
  fill(main, statusLine('Checking for a session…'));
  try {
    signedIn(await api<WhoAmI>('GET', '/console/api/session'));
  } catch {
    showSignIn(refused === null ? '' : `Sign-in through your provider refused: ${refused.slice(0, 500)}`);
  }
}

void start();
