// A real OpenID Connect provider (the oidc-provider package) for the single sign-on tests.
//
//   node provider.mjs <port> <state.json>
//
// Listens on 127.0.0.1:<port> with issuer http://127.0.0.1:<port>. The state file, written by
// the test and read again on every request, holds the clients and the accounts:
//   {"clients": [{"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris"}],
//    "accounts": {"<sub>": {"email", "given_name", "family_name", "department", "groups",
//                           "disabled": false}},
//    "substitute_audience": null}
// A disabled account is refused at the provider's sign-in (access_denied back to the client)
// and no longer found for tokens and userinfo. With "substitute_audience" set, the ID token of
// every token response is replaced by one signed with the provider's own key for that other
// audience (the token-substitution attack a client must refuse).
// The sign-in page is a plain form: "login" (the account's sub), no password.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { SignJWT, decodeJwt, importJWK } from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';

const [port, statePath] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const readState = () => JSON.parse(fs.readFileSync(statePath, 'utf8'));

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

// A person disabled since their provider session began is asked to sign in again (and refused there).
const policy = interactionPolicy.base();
policy.get('login').checks.add(
  new interactionPolicy.Check('account_disabled', 'the account is disabled', (ctx) => {
    const { accountId } = ctx.oidc.session;
    const account = accountId ? readState().accounts[accountId] : undefined;
    return accountId && (!account || account.disabled)
      ? interactionPolicy.Check.REQUEST_PROMPT
      : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  }),
);
const AUTHORIZATION_ROUTES = new Set(['authorization', 'resume']);

const state = readState();
const provider = new Provider(issuer, {
  clients: state.clients.map((client) => ({
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
    ...client,
  })),
  jwks: { keys: [signingJwk] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'department', 'active'],
    groups: ['groups'],
  },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => false },
  cookies: { keys: ['test-cookie-key'] },
  interactions: { policy },
  async findAccount(ctx, sub) {
    const account = readState().accounts[sub];
    // Tokens and userinfo: a disabled or removed person is not found. During an authorization,
    // a disabled person with an open session is found so that the login check above can ask again.
    if (!account || (account.disabled && !AUTHORIZATION_ROUTES.has(ctx.oidc?.route))) return undefined;
    return {
      accountId: sub,
      async claims() {
        const { disabled, ...claims } = readState().accounts[sub] || account;
        return { sub, email_verified: true, ...claims };
      },
    };
  },
  async loadExistingGrant(ctx) {
    // Consent is implied: every client of this test provider gets what it asks for.
    const { accountId } = ctx.oidc.session;
    if (!accountId) return undefined;
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    if (existing && existing.accountId === accountId) return existing;
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
provider.on('server_error', (ctx, error) => console.error('server_error', error));

const readBody = (req) =>
  new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(new URLSearchParams(data)));
  });

const page = (uid) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test provider sign-in</title></head>
<body><h1>Test provider</h1><form method="post" action="/interaction/${uid}/login">
<label>Login <input name="login" id="login" autofocus></label>
<button type="submit" id="sign-in">Sign in</button></form></body></html>`;

provider.use(async (ctx, next) => {
  if (ctx.path === '/favicon.ico') {
    ctx.status = 204;
    return;
  }
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (match) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') {
      await provider.interactionFinished(ctx.req, ctx.res, { consent: {} }, { mergeWithLastSubmission: true });
      ctx.respond = false;
      return;
    }
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = page(details.uid);
      return;
    }
    const login = (await readBody(ctx.req)).get('login') || '';
    const account = readState().accounts[login];
    const result = !account
      ? { error: 'access_denied', error_description: 'unknown account' }
      : account.disabled
        ? { error: 'access_denied', error_description: 'account disabled' }
        : { login: { accountId: login } };
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.respond = false;
    return;
  }
  await next();
  const audience = ctx.path === '/token' && ctx.status === 200 ? readState().substitute_audience : null;
  if (audience && ctx.body && ctx.body.id_token) {
    const claims = decodeJwt(ctx.body.id_token);
    const key = await importJWK(signingJwk, 'RS256');
    ctx.body = {
      ...ctx.body,
      id_token: await new SignJWT({ ...claims, aud: audience, azp: audience })
        .setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid })
        .sign(key),
    };
  }
});

http.createServer(provider.callback()).listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
