// Issue 6 / SPEC F5 — the reference PBX's own web login page (GET /login): sign in with a username and password
// or with a passkey, and, signed in, register a passkey and see your passkeys. Plain HTML, one stylesheet and
// one script from the same origin under a strict Content Security Policy (no inline script or style). The
// WebAuthn calls are written by hand (base64url <-> ArrayBuffer); the page talks only to /api/v1.
import type { FastifyInstance } from 'fastify';

/** No inline code at all; the page may only talk to its own origin and may not be framed. */
export const LOGIN_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function loginPageHtml(serverName: string, rpId: string): string {
  const name = escapeHtml(serverName);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Sign in · ${name}</title>
<link rel="stylesheet" href="/login/login.css">
<script src="/login/login.js" defer></script>
</head>
<body data-rp-id="${escapeHtml(rpId)}">
<main class="card" aria-labelledby="title">
  <header class="brand">
    <svg class="logo" viewBox="0 0 24 24" aria-hidden="true"><path d="M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2c.3-.3.7-.4 1-.2 1.1.4 2.3.6 3.6.6.6 0 1 .4 1 1V20c0 .6-.4 1-1 1A17 17 0 0 1 3 4c0-.6.4-1 1-1h3.5c.6 0 1 .4 1 1 0 1.3.2 2.5.6 3.6.1.3 0 .7-.2 1z"/></svg>
    <div>
      <h1 id="title">Sign in</h1>
      <p class="server">${name}</p>
    </div>
  </header>

  <p id="message" class="message" role="alert" hidden></p>

  <section id="signed-out" aria-label="Sign in" hidden>
    <form id="password-form" novalidate>
      <label for="username">Username</label>
      <input id="username" name="username" autocomplete="username webauthn" autocapitalize="none" spellcheck="false" required>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password">
      <button type="submit" class="primary">Sign in</button>
    </form>
    <div class="or" role="separator"><span>or</span></div>
    <button id="passkey-login" type="button" class="secondary">
      <svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><circle cx="8" cy="12" r="4"/><path d="M12 12h9m-3 0v3m-3-3v2"/></svg>
      Sign in with a passkey
    </button>
    <p id="rp-hint" class="hint" hidden></p>
  </section>

  <section id="signed-in" aria-label="Your account" hidden>
    <div class="account">
      <p>Signed in as <strong id="account-name"></strong> <span id="account-role" class="badge"></span></p>
      <button id="sign-out" type="button" class="link">Sign out</button>
    </div>
    <form id="register-form" novalidate>
      <h2>Register a passkey</h2>
      <p class="hint">A passkey lets you sign in on this device with its screen lock or a security key, without a password.</p>
      <label for="passkey-name">Passkey name</label>
      <div class="row">
        <input id="passkey-name" name="name" maxlength="64" placeholder="e.g. Office laptop" autocomplete="off" required>
        <button type="submit" class="primary">Register a passkey</button>
      </div>
    </form>
    <h2 id="passkeys-title">Your passkeys</h2>
    <table id="passkeys" aria-labelledby="passkeys-title">
      <thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">From</th><th scope="col"><span class="sr-only">Delete</span></th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="no-passkeys" class="hint" hidden>No passkeys yet.</p>
  </section>
</main>
</body>
</html>
`;
}

export const LOGIN_PAGE_CSS = `
:root {
  color-scheme: light dark;
  --bg: #eef1f5; --card: #ffffff; --text: #1b2430; --muted: #5a6676; --border: #d5dbe3;
  --accent: #1f5fbf; --accent-text: #ffffff; --accent-hover: #174c9a; --field: #ffffff;
  --error-bg: #fdecec; --error-text: #9b1c1c; --ok-bg: #e8f5ec; --ok-text: #1d6b35; --focus: #f0a000;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #11151b; --card: #1b2129; --text: #e4e9ef; --muted: #9aa6b4; --border: #313a46;
    --accent: #5b9cf5; --accent-text: #0b1220; --accent-hover: #7fb2f8; --field: #141a21;
    --error-bg: #3a1d1f; --error-text: #ffb4b4; --ok-bg: #16301f; --ok-text: #9fe0b2; --focus: #ffc24d;
  }
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: start center; padding: 8vh 16px 32px; background: var(--bg); color: var(--text); }
.card { width: 100%; max-width: 640px; background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 28px 32px; box-shadow: 0 8px 30px rgb(0 0 0 / 0.08); }
.brand { display: flex; gap: 14px; align-items: center; margin-bottom: 20px; }
.logo { width: 40px; height: 40px; padding: 8px; border-radius: 10px; background: var(--accent); fill: var(--accent-text); flex: none; }
h1 { font-size: 1.45rem; margin: 0; }
h2 { font-size: 1.05rem; margin: 24px 0 6px; }
.server { margin: 0; color: var(--muted); }
label { display: block; font-weight: 600; margin: 14px 0 6px; }
input { width: 100%; font: inherit; padding: 9px 11px; border: 1px solid var(--border); border-radius: 8px; background: var(--field); color: var(--text); }
button { font: inherit; border-radius: 8px; padding: 9px 16px; cursor: pointer; border: 1px solid transparent; }
button:disabled { opacity: 0.55; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.primary { background: var(--accent); color: var(--accent-text); font-weight: 600; }
.primary:hover:not(:disabled) { background: var(--accent-hover); }
#password-form .primary { width: 100%; margin-top: 20px; }
.secondary { width: 100%; background: transparent; color: var(--text); border-color: var(--border); display: flex; gap: 8px; justify-content: center; align-items: center; font-weight: 600; }
.secondary:hover:not(:disabled) { border-color: var(--accent); }
.icon { width: 20px; height: 20px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; }
.link { background: none; color: var(--accent); padding: 4px 0; text-decoration: underline; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.or { display: flex; align-items: center; gap: 12px; color: var(--muted); margin: 18px 0; }
.or::before, .or::after { content: ""; flex: 1; border-top: 1px solid var(--border); }
.hint { color: var(--muted); margin: 8px 0 0; font-size: 0.93rem; }
.hint a { color: var(--accent); }
.message { padding: 10px 12px; border-radius: 8px; margin: 0 0 12px; background: var(--error-bg); color: var(--error-text); }
.message.ok { background: var(--ok-bg); color: var(--ok-text); }
.account { display: flex; justify-content: space-between; align-items: center; gap: 12px; border-bottom: 1px solid var(--border); padding-bottom: 12px; }
.account p { margin: 0; }
.badge { font-size: 0.8rem; color: var(--muted); border: 1px solid var(--border); border-radius: 999px; padding: 1px 8px; margin-left: 4px; }
.row { display: flex; gap: 8px; }
.row input { flex: 1; }
.row button { flex: none; }
table { width: 100%; border-collapse: collapse; font-size: 0.92rem; }
th, td { text-align: left; padding: 7px 8px 7px 0; border-bottom: 1px solid var(--border); vertical-align: top; }
thead th { color: var(--muted); font-weight: 600; }
tbody th { font-weight: 600; }
td small, th small { color: var(--muted); display: block; font-weight: 400; }
[hidden] { display: none !important; }
`;

// The page's script. Plain ES2020, no template literals (it lives in one), no framework.
export const LOGIN_PAGE_JS = String.raw`'use strict';
(function () {
  var TOKEN_KEY = 'pbx-warden-login-token';
  var rpId = document.body.getAttribute('data-rp-id') || '';
  var $ = function (id) { return document.getElementById(id); };
  var message = $('message');

  function show(text, ok) {
    message.textContent = text;
    message.className = ok ? 'message ok' : 'message';
    message.setAttribute('role', ok ? 'status' : 'alert');
    message.hidden = !text;
  }

  // ---- base64url <-> bytes ----
  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // ---- the API ----
  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  async function api(method, path, body) {
    var headers = {};
    var t = token();
    if (t) headers['Authorization'] = 'Bearer ' + t;
    var init = { method: method, headers: headers, credentials: 'omit', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    var res = await fetch('/api/v1' + path, init);
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      var err = new Error((data && data.error && data.error.message) || ('The PBX answered ' + res.status));
      err.status = res.status;
      throw err;
    }
    return data;
  }

  // "Chrome on Linux", "curl 8.5": a short name for a user agent (the whole one on hover)
  function programName(ua) {
    if (!ua) return '';
    if (/^Mozilla\//.test(ua)) {
      var b = /Edg(e|A|iOS)?\//.test(ua) ? 'Edge' : /OPR\//.test(ua) ? 'Opera' : /Firefox\/|FxiOS\//.test(ua) ? 'Firefox'
        : /Chrome\/|CriOS\//.test(ua) ? 'Chrome' : /Version\/[\d.]+.*Safari\//.test(ua) ? 'Safari' : 'A browser';
      var os = /iPhone|iPad/.test(ua) ? 'iOS' : /Android/.test(ua) ? 'Android' : /CrOS/.test(ua) ? 'ChromeOS'
        : /Windows/.test(ua) ? 'Windows' : /Mac OS X|Macintosh/.test(ua) ? 'macOS' : /Linux|X11/.test(ua) ? 'Linux' : '';
      return os ? b + ' on ' + os : b;
    }
    var m = /^([A-Za-z][\w.+-]*)\/(\d+(\.\d+)?)/.exec(ua);
    return m ? m[1] + ' ' + m[2] : (ua.length > 40 ? ua.slice(0, 39) + '…' : ua);
  }

  function when(iso) {
    if (!iso) return 'never';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toLocaleString();
  }

  var passkeysSupported = !!(window.PublicKeyCredential && navigator.credentials);
  var rightHost = location.hostname === rpId;

  function passkeyProblem() {
    if (!passkeysSupported) return 'This browser does not support passkeys.';
    if (!rightHost) return 'Passkeys on this PBX work only at the host name "' + rpId + '".';
    return '';
  }

  function renderHint() {
    var hint = $('rp-hint');
    var problem = passkeyProblem();
    $('passkey-login').disabled = !!problem;
    if (!problem) { hint.hidden = true; return; }
    hint.textContent = problem + ' ';
    if (passkeysSupported && !rightHost) {
      var a = document.createElement('a');
      var url = location.protocol + '//' + rpId + (location.port ? ':' + location.port : '') + '/login';
      a.href = url;
      a.textContent = 'Open ' + url;
      hint.appendChild(a);
    }
    hint.hidden = false;
  }

  function webauthnError(e, what) {
    if (e && e.name === 'NotAllowedError') return what + ' was cancelled, or no passkey for this site was chosen.';
    if (e && e.name === 'InvalidStateError') return 'This authenticator already holds a passkey for your account.';
    if (e && e.name === 'SecurityError') return 'The browser refused passkeys on this address (' + location.host + ').';
    return (e && e.message) || (what + ' failed.');
  }

  // ---- signed out ----
  async function signedOut(text, ok) {
    $('signed-in').hidden = true;
    $('signed-out').hidden = false;
    $('title').textContent = 'Sign in';
    renderHint();
    show(text || '', ok);
  }

  $('password-form').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    var username = $('username').value.trim();
    if (!username) { show('Username: enter your username.'); $('username').focus(); return; }
    var button = ev.submitter || this.querySelector('button');
    button.disabled = true;
    try {
      var s = await api('POST', '/session', { username: username, password: $('password').value });
      sessionStorage.setItem(TOKEN_KEY, s.token);
      $('password').value = '';
      await signedIn('');
    } catch (e) {
      show(e.message);
    } finally {
      button.disabled = false;
    }
  });

  $('passkey-login').addEventListener('click', async function () {
    var button = this;
    button.disabled = true;
    show('');
    try {
      var options = await api('POST', '/session/passkey-options', {});
      var cred = await navigator.credentials.get({
        publicKey: {
          challenge: toBytes(options.challenge),
          rpId: options.rpId,
          timeout: options.timeout,
          userVerification: options.userVerification,
          allowCredentials: (options.allowCredentials || []).map(function (c) {
            return { type: 'public-key', id: toBytes(c.id), transports: c.transports };
          }),
        },
      });
      if (!cred) throw new Error('No passkey was chosen.');
      var r = cred.response;
      var response = {
        id: cred.id,
        rawId: toB64url(cred.rawId),
        type: cred.type,
        response: {
          clientDataJSON: toB64url(r.clientDataJSON),
          authenticatorData: toB64url(r.authenticatorData),
          signature: toB64url(r.signature),
        },
        clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      };
      if (r.userHandle) response.response.userHandle = toB64url(r.userHandle);
      if (cred.authenticatorAttachment) response.authenticatorAttachment = cred.authenticatorAttachment;
      var s = await api('POST', '/session/passkey', { response: response });
      sessionStorage.setItem(TOKEN_KEY, s.token);
      await signedIn('');
    } catch (e) {
      show(e.status ? e.message : webauthnError(e, 'Signing in with a passkey'));
    } finally {
      button.disabled = !!passkeyProblem();
    }
  });

  // ---- signed in ----
  async function loadPasskeys() {
    var list = await api('GET', '/admin/passkeys');
    var tbody = $('passkeys').querySelector('tbody');
    tbody.textContent = '';
    list.items.forEach(function (p) {
      var tr = document.createElement('tr');
      var cells = [
        [p.name, p.backedUp ? 'synced' : '', ''],
        [when(p.createdAt), '', ''],
        [when(p.lastUsedAt), '', ''],
        [p.lastUsedFrom || p.createdFrom, programName(p.lastUsedUserAgent || p.createdUserAgent), p.lastUsedUserAgent || p.createdUserAgent || ''],
      ];
      cells.forEach(function (c, i) {
        var td = document.createElement(i === 0 ? 'th' : 'td');
        if (i === 0) td.setAttribute('scope', 'row');
        td.appendChild(document.createTextNode(c[0]));
        if (c[1]) {
          var small = document.createElement('small');
          small.textContent = c[1];
          if (c[2]) small.title = c[2];
          td.appendChild(small);
        }
        tr.appendChild(td);
      });
      // delete it here too (it stops working at once; the console's Admin security screen can do the same)
      var del = document.createElement('button');
      del.type = 'button';
      del.className = 'link';
      del.textContent = 'Delete';
      del.setAttribute('aria-label', 'Delete the passkey ' + p.name);
      del.addEventListener('click', async function () {
        if (!window.confirm('Delete the passkey \u201c' + p.name + '\u201d? It stops working at once.')) return;
        del.disabled = true;
        try {
          await api('POST', '/admin/passkeys/delete', { ids: [p.id] });
          show('Passkey \u201c' + p.name + '\u201d deleted.', true);
          await loadPasskeys();
        } catch (e) {
          show(e.message);
          del.disabled = false;
        }
      });
      var actions = document.createElement('td');
      actions.appendChild(del);
      tr.appendChild(actions);
      tbody.appendChild(tr);
    });
    $('passkeys').hidden = list.items.length === 0;
    $('no-passkeys').hidden = list.items.length !== 0;
  }

  async function signedIn(text, ok) {
    var s = await api('GET', '/session');
    $('account-name').textContent = s.username;
    $('account-role').textContent = s.role;
    $('title').textContent = 'Your account';
    $('signed-out').hidden = true;
    $('signed-in').hidden = false;
    var problem = passkeyProblem();
    $('register-form').querySelector('button').disabled = !!problem;
    show(text || (problem ? problem + ' Open http://' + rpId + (location.port ? ':' + location.port : '') + '/login to register one.' : ''), ok);
    await loadPasskeys();
  }

  $('register-form').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    var name = $('passkey-name').value.trim();
    if (!name) { show('Passkey name: give the passkey a name (e.g. "Office laptop").'); $('passkey-name').focus(); return; }
    var button = this.querySelector('button');
    button.disabled = true;
    show('');
    try {
      var o = await api('POST', '/admin/passkeys/registration-options', {});
      var cred = await navigator.credentials.create({
        publicKey: {
          challenge: toBytes(o.challenge),
          rp: o.rp,
          user: { id: toBytes(o.user.id), name: o.user.name, displayName: o.user.displayName },
          pubKeyCredParams: o.pubKeyCredParams,
          timeout: o.timeout,
          attestation: o.attestation,
          authenticatorSelection: o.authenticatorSelection,
          excludeCredentials: (o.excludeCredentials || []).map(function (c) {
            return { type: 'public-key', id: toBytes(c.id), transports: c.transports };
          }),
          extensions: o.extensions,
        },
      });
      if (!cred) throw new Error('No passkey was created.');
      var r = cred.response;
      var response = {
        id: cred.id,
        rawId: toB64url(cred.rawId),
        type: cred.type,
        response: {
          clientDataJSON: toB64url(r.clientDataJSON),
          attestationObject: toB64url(r.attestationObject),
        },
        clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      };
      if (r.getTransports) response.response.transports = r.getTransports();
      if (r.getAuthenticatorData) response.response.authenticatorData = toB64url(r.getAuthenticatorData());
      if (r.getPublicKeyAlgorithm) response.response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
      if (r.getPublicKey && r.getPublicKey()) response.response.publicKey = toB64url(r.getPublicKey());
      if (cred.authenticatorAttachment) response.authenticatorAttachment = cred.authenticatorAttachment;
      var saved = await api('POST', '/admin/passkeys', { name: name, response: response });
      $('passkey-name').value = '';
      show('Passkey "' + saved.name + '" registered. You can now sign in with it.', true);
      await loadPasskeys();
    } catch (e) {
      if (e.status === 401) { sessionStorage.removeItem(TOKEN_KEY); await signedOut('Your session ended; sign in again.'); return; }
      show(e.status ? e.message : webauthnError(e, 'Registering a passkey'));
    } finally {
      button.disabled = !!passkeyProblem();
    }
  });

  $('sign-out').addEventListener('click', async function () {
    try { await api('DELETE', '/session'); } catch (e) { /* signed out either way */ }
    sessionStorage.removeItem(TOKEN_KEY);
    await signedOut('You are signed out.', true);
  });

  // ---- start ----
  (async function () {
    if (token()) {
      try { await signedIn(''); return; } catch (e) { sessionStorage.removeItem(TOKEN_KEY); }
    }
    await signedOut('');
  })();
})();
`;

/** GET /login (and its stylesheet and script) on the PBX; behind the admin allowlist like the API. */
export function registerLoginPage(app: FastifyInstance, opts: { serverName: string; rpId: string }): void {
  const html = loginPageHtml(opts.serverName, opts.rpId);
  const security = (reply: { header: (k: string, v: string) => unknown }) => {
    reply.header('content-security-policy', LOGIN_PAGE_CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
  };
  app.get('/login', (_req, reply) => {
    security(reply);
    reply.type('text/html; charset=utf-8').send(html);
  });
  app.get('/login/login.css', (_req, reply) => {
    security(reply);
    reply.type('text/css; charset=utf-8').send(LOGIN_PAGE_CSS);
  });
  app.get('/login/login.js', (_req, reply) => {
    security(reply);
    reply.type('text/javascript; charset=utf-8').send(LOGIN_PAGE_JS);
  });
}
