// A small, real OpenID Provider for the end-to-end tests: npm's oidc-provider
// (OpenID-certified) with a plain login form and a consent step of our own.
//
//   node server.js [--port N] [--config FILE]
//   env: OP_PORT, OP_CONFIG (path of a JSON file) or OP_CONFIG_JSON (the JSON itself)
//
// Port 0 (the default) picks a free port; "{port}" in the configured issuer is
// replaced by the port listened on. Prints "READY <issuer>" once listening, and exits
// on SIGTERM/SIGINT. Listens on 127.0.0.1 only.
//
// Config (all optional except clients and accounts):
//   issuer        "http://127.0.0.1:{port}/realms/test" (a path is allowed)
//   clients       oidc-provider client metadata: client_id, client_secret,
//                 redirect_uris, post_logout_redirect_uris, token_endpoint_auth_method,
//                 id_token_signed_response_alg, userinfo_signed_response_alg, ...
//   accounts      [{id, password, claims: {...}, id_token_claims: {...},
//                   userinfo_claims: {...}}]; `sub` is the id. id_token_claims /
//                 userinfo_claims override `claims` in that one place.
//   scopes        {scope: [claim names]}, added to openid/email/profile/groups
//   ttl           {IdToken, AccessToken, AuthorizationCode, Session, Grant, Interaction}
//   jwks          {keys: [private JWKs with kid]}; generated (RSA + EC) when absent
//   admin_token   enables the /_test/ endpoints, for "Authorization: Bearer <token>":
//                   GET  /_test/state        accounts, request log (method, path,
//                                            query, status, content_type), public keys
//                   POST /_test/reconfigure  {accounts?, clients?, jwks?,
//                                            rotate_keys?, ttl?, scopes?,
//                                            clear_log?}; accounts are replaced by id
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: { port: { type: 'string' }, config: { type: 'string' } },
});
const port = Number(args.port ?? process.env.OP_PORT ?? 0);
const configFile = args.config ?? process.env.OP_CONFIG;
const config = JSON.parse(
  configFile ? fs.readFileSync(configFile, 'utf8') : (process.env.OP_CONFIG_JSON ?? '{}'),
);

const DEFAULT_SCOPES = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  groups: ['groups'],
};
const DEFAULT_TTL = {
  AccessToken: 600,
  AuthorizationCode: 60,
  IdToken: 600,
  Interaction: 600,
  Session: 3600,
  Grant: 3600,
};

const accounts = new Map();
const requestLog = [];
const cookieKeys = [crypto.randomBytes(32).toString('hex')];
let provider;
let issuer;
let mountPath;

function setAccounts(list) {
  for (const account of list ?? []) accounts.set(String(account.id), account);
}

function generateKeys() {
  const kid = () => crypto.randomBytes(8).toString('hex');
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return {
    keys: [
      { ...rsa.export({ format: 'jwk' }), kid: kid(), use: 'sig', alg: 'RS256' },
      { ...ec.export({ format: 'jwk' }), kid: kid(), use: 'sig', alg: 'ES256' },
    ],
  };
}

function publicJwks() {
  const privateParts = ['d', 'p', 'q', 'dp', 'dq', 'qi'];
  return {
    keys: config.jwks.keys.map((key) => Object.fromEntries(
      Object.entries(key).filter(([name]) => !privateParts.includes(name)),
    )),
  };
}

async function findAccount(ctx, sub) {
  const account = accounts.get(sub);
  if (!account) return undefined;
  return {
    accountId: sub,
    // oidc-provider keeps only the claims of the granted scopes
    async claims(use) {
      const specific = use === 'id_token' ? account.id_token_claims : account.userinfo_claims;
      return { ...account.claims, ...specific, sub };
    },
  };
}

function buildProvider() {
  const claims = { ...DEFAULT_SCOPES, ...config.scopes };
  const instance = new Provider(issuer, {
    clients: config.clients ?? [],
    jwks: config.jwks,
    findAccount,
    claims,
    scopes: Object.keys(claims),
    // the ID token carries the scopes' claims too (not only when no access token is issued)
    conformIdTokenClaims: false,
    cookies: { keys: cookieKeys },
    pkce: { required: () => false },
    ttl: { ...DEFAULT_TTL, ...config.ttl },
    interactions: { url: (ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // `form` is oidc-provider's <form id="op.logoutForm"> with its xsrf field; the
        // buttons say what oidc-provider's default page says
        async logoutSource(ctx, form) {
          ctx.body = page('Sign out', `<h1>Sign out of ${esc(issuer)}?</h1>${form}`
            + '<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>'
            + '<button type="submit" form="op.logoutForm">No, stay signed in</button>');
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<h1 id="signed-out">You are signed out.</h1>');
        },
      },
    },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<h1>Error</h1><p id="error">${esc(out.error)}: ${esc(out.error_description)}</p>`);
    },
  });
  instance.on('server_error', (ctx, error) => console.error('server_error', error));
  return instance;
}

// -- pages -------------------------------------------------------------------------------

function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body, lang = 'en') {
  return `<!doctype html>\n<html lang="${esc(lang)}"><head><meta charset="utf-8">`
    + `<title>${esc(title)}</title></head><body>${body}</body></html>\n`;
}

function cancelForm(uid) {
  return `<form id="cancel-form" method="post" action="${mountPath}/interaction/${uid}/abort">`
    + '<button type="submit">Cancel</button></form>';
}

function loginPage(details, error) {
  const { uid, params } = details;
  return page('Sign in', `<h1>Sign in to ${esc(params.client_id)}</h1>`
    + (error ? `<p id="error">${esc(error)}</p>` : '')
    + `<form id="login-form" method="post" action="${mountPath}/interaction/${uid}/login">`
    + '<label>Username <input name="login" autocomplete="username" autofocus></label>'
    + '<label>Password <input name="password" type="password" autocomplete="current-password"></label>'
    + '<button type="submit">Sign in</button></form>'
    + cancelForm(uid), params.ui_locales?.split(' ')[0]);
}

function consentPage(details) {
  const { uid, params } = details;
  return page('Consent', `<h1>${esc(params.client_id)} asks for: ${esc(params.scope)}</h1>`
    + `<form id="consent-form" method="post" action="${mountPath}/interaction/${uid}/confirm">`
    + '<button type="submit">Continue</button></form>'
    + cancelForm(uid), params.ui_locales?.split(' ')[0]);
}

// -- request handling ---------------------------------------------------------------------

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Error', 'interaction mismatch'));
  const { prompt, params } = details;

  if (req.method === 'GET') {
    return send(res, 200, prompt.name === 'login' ? loginPage(details) : consentPage(details));
  }
  const form = new URLSearchParams(await readBody(req));

  if (action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }
  if (action === 'login' && prompt.name === 'login') {
    const account = accounts.get(form.get('login') ?? '');
    if (!account || account.password !== form.get('password')) {
      return send(res, 200, loginPage(details, 'Invalid username or password.'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: account.id } });
  }
  if (action === 'confirm' && prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } });
  }
  return send(res, 400, page('Error', `unexpected ${esc(action)} at prompt ${esc(prompt.name)}`));
}

async function admin(req, res, path) {
  const expected = Buffer.from(`Bearer ${config.admin_token}`);
  const given = Buffer.from(req.headers.authorization ?? '');
  if (!config.admin_token || given.length !== expected.length
      || !crypto.timingSafeEqual(given, expected)) {
    return send(res, 404, 'not found', 'text/plain');
  }
  if (path === '/_test/state' && req.method === 'GET') {
    const state = { issuer, accounts: [...accounts.values()], requests: requestLog, jwks: publicJwks() };
    return send(res, 200, JSON.stringify(state), 'application/json');
  }
  if (path === '/_test/reconfigure' && req.method === 'POST') {
    const change = JSON.parse((await readBody(req)) || '{}');
    setAccounts(change.accounts);
    if (change.clear_log) requestLog.length = 0;
    for (const name of ['clients', 'jwks', 'ttl', 'scopes']) {
      if (change[name] !== undefined) config[name] = change[name];
    }
    if (change.rotate_keys) config.jwks = generateKeys();
    if (['clients', 'jwks', 'ttl', 'scopes', 'rotate_keys'].some((name) => change[name])) {
      // sessions and grants live in the memory adapter, shared by the new instance
      provider = buildProvider();
    }
    return send(res, 200, JSON.stringify({ jwks: publicJwks() }), 'application/json');
  }
  return send(res, 404, 'not found', 'text/plain');
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/_test/')) return admin(req, res, url.pathname);

  const entry = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams) };
  res.on('finish', () => Object.assign(entry, {
    status: res.statusCode,
    content_type: res.getHeader('content-type') ?? null,
  }));
  requestLog.push(entry);
  if (requestLog.length > 1000) requestLog.shift();

  if (mountPath && url.pathname !== mountPath && !url.pathname.startsWith(`${mountPath}/`)) {
    return send(res, 404, 'not found', 'text/plain');
  }
  const match = url.pathname.slice(mountPath.length).match(/^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/);
  if (match) return interaction(req, res, match[1], match[2]);

  // mount the provider under the issuer's path, as express' app.use(path, ...) does
  req.originalUrl = req.url;
  req.url = req.url.slice(mountPath.length) || '/';
  return provider.callback()(req, res);
}

config.jwks ??= generateKeys();
setAccounts(config.accounts);

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) send(res, 500, page('Error', esc(error.message)));
  });
});

server.listen(port, '127.0.0.1', () => {
  issuer = (config.issuer ?? 'http://127.0.0.1:{port}').replace('{port}', server.address().port);
  mountPath = new URL(issuer).pathname.replace(/\/$/, '');
  provider = buildProvider();
  console.log(`READY ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
