/** csrf() against hostile requests: origins, split and oversized bodies, odd content types. */
import { type AsyncApp, asyncApp, type HTTPScope, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { methodOverride } from '../../src/request/index.js';
import { CSRF_STATE_KEY, type CsrfState, csrf, isCrossOrigin } from '../../src/security/index.js';
import { SESSION_STATE_KEY } from '../../src/sessions/index.js';

const enc = new TextEncoder();
const TOKEN = 'T'.repeat(43);

/** A session holding the token, and a leaf answering `method body`. */
function appWith(inner: (app: AsyncApp) => AsyncApp): AsyncApp {
  const leaf: AsyncApp = async function leafApp(scope, receive, send) {
    if (scope.type !== 'http') return;
    const chunks: Uint8Array[] = [];
    for (;;) {
      const e = await receive();
      if (e.type !== 'http.request') break;
      chunks.push(e.body);
      if (!e.moreBody) break;
    }
    void (scope.state[CSRF_STATE_KEY] as CsrfState).field;
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body: enc.encode(`${scope.method} ${Buffer.concat(chunks)}`) });
  };
  const wrapped = inner(validateAsync(leaf));
  return validateAsync(
    asyncApp(async function withSession(scope, receive, send) {
      if (scope.type === 'http') {
        const data = new Map<string, unknown>([['csrf.token', TOKEN]]);
        scope.state[SESSION_STATE_KEY] = {
          get: (k: string) => data.get(k),
          set: (k: string, v: unknown) => data.set(k, v),
        };
      }
      return wrapped(scope, receive, send);
    }),
  );
}

const scopeOf = (scheme: string, headers: [string, string][]): HTTPScope =>
  ({ type: 'http', scheme, headers, server: ['127.0.0.1', 8080] }) as unknown as HTTPScope;

describe('isCrossOrigin', () => {
  it('compares scheme, host and port, with default ports normalized', () => {
    const h = (origin: string, host = 'app.example') =>
      [
        ['host', host],
        ['origin', origin],
      ] as [string, string][];
    expect(isCrossOrigin(scopeOf('https', h('https://app.example')))).toBe(false);
    expect(isCrossOrigin(scopeOf('https', h('https://app.example:443')))).toBe(false);
    expect(isCrossOrigin(scopeOf('https', h('https://APP.example', 'app.example:443')))).toBe(false);
    expect(isCrossOrigin(scopeOf('https', h('http://app.example')))).toBe(true); // scheme
    expect(isCrossOrigin(scopeOf('https', h('https://app.example:8443')))).toBe(true); // port
    expect(isCrossOrigin(scopeOf('http', h('http://app.example:8080', 'app.example')))).toBe(true);
    expect(isCrossOrigin(scopeOf('https', h('https://evil.app.example')))).toBe(true); // subdomain
    expect(isCrossOrigin(scopeOf('https', h('not an origin')))).toBe(true);
    expect(isCrossOrigin(scopeOf('https', h('null')))).toBe(false); // proves nothing: the token decides
    expect(
      isCrossOrigin(
        scopeOf('https', [
          ['host', 'app.example'],
          ['sec-fetch-site', 'cross-site'],
        ]),
      ),
    ).toBe(true);
    expect(
      isCrossOrigin(
        scopeOf('https', [
          ['host', 'app.example'],
          ['sec-fetch-site', 'same-site'],
        ]),
      ),
    ).toBe(false);
  });
});

describe('csrf() on hostile requests', () => {
  const client = createClient(appWith((app) => csrf({ limit: 64 })(app)));

  it('still needs the token for Origin: null and Sec-Fetch-Site: same-site', async () => {
    const none = await client.post('/', { headers: { origin: 'null' }, body: 'x' });
    expect(none.status).toBe(403);
    const sibling = await client.post('/', { headers: { 'sec-fetch-site': 'same-site' }, body: 'x' });
    expect(sibling.status).toBe(403);
    const ok = await client.post('/', { headers: { origin: 'null', 'x-csrf-token': TOKEN }, body: 'x' });
    expect(ok.status).toBe(200);
  });

  it('finds the field in a form body split across events, with a capitalized content type and parameters', async () => {
    const body = `a=1&_csrf=${TOKEN}&b=2`;
    async function* chunks() {
      for (let i = 0; i < body.length; i += 5) yield body.slice(i, i + 5);
    }
    const res = await client.post('/', {
      headers: { 'content-type': 'Application/X-WWW-Form-URLEncoded ; Charset=UTF-8' },
      body: chunks(),
    });
    expect(res.status).toBe(200);
    expect(res.text()).toBe(`POST ${body}`);
  });

  it('answers 413 for a form body over the limit, sent chunked or with a content-length', async () => {
    const big = `_csrf=${TOKEN}&pad=${'x'.repeat(100)}`;
    async function* chunks() {
      yield big.slice(0, 40);
      yield big.slice(40);
    }
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await client.post('/', { headers: form, body: big })).status).toBe(413);
    expect((await client.post('/', { headers: form, body: chunks() })).status).toBe(413);
  });

  it('refuses every method outside the safe list without a token (unknown ones too)', async () => {
    for (const method of ['PROPFIND', 'DELETE', 'PATCH', 'CONNECTX']) {
      const res = await client.request(method, '/', {});
      expect(res.status, method).toBe(403);
    }
  });

  it('checks a POST that methodOverride turns into DELETE, in either order', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const stack of [
      (app: AsyncApp) => methodOverride()(csrf()(app)),
      (app: AsyncApp) => csrf()(methodOverride()(app)),
    ]) {
      const c = createClient(appWith(stack));
      expect((await c.post('/', { headers: form, body: '_method=DELETE' })).status).toBe(403);
      const ok = await c.post('/', { headers: form, body: `_method=DELETE&_csrf=${TOKEN}` });
      expect(ok.status).toBe(200);
      expect(ok.text()).toBe(`DELETE _method=DELETE&_csrf=${TOKEN}`);
      // A POST cannot become a safe method and skip the check.
      expect((await c.post('/', { headers: form, body: '_method=GET' })).status).toBe(403);
    }
  });
});
