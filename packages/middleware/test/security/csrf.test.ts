import {
  type App,
  type AsyncApp,
  asyncApp,
  type SyncApp,
  syncApp,
  validateAsync,
  validateSync,
} from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import {
  CSRF_SESSION_KEY,
  CSRF_STATE_KEY,
  type CsrfState,
  csrf,
  tokensMatch,
} from '../../src/security/index.js';
import { cookieSession, SESSION_STATE_KEY, session, sessionOf } from '../../src/sessions/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** GET: the token info as JSON; anything else: `accepted ` + the body bytes the app read. */
const formAsync: AsyncApp = async function formAsync(scope, receive, send) {
  if (scope.type !== 'http') return;
  const chunks: Uint8Array[] = [];
  for (;;) {
    const e = await receive();
    if (e.type !== 'http.request') break;
    chunks.push(e.body);
    if (!e.moreBody) break;
  }
  const info = scope.state[CSRF_STATE_KEY] as CsrfState;
  const body =
    scope.method === 'GET'
      ? JSON.stringify({ token: info.token, field: info.field, header: info.header })
      : `accepted ${dec.decode(Buffer.concat(chunks))}`;
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
  await send({ type: 'http.response.body', body: enc.encode(body) });
};

const formSync: SyncApp = syncApp(function formSync(environ, startResponse) {
  const info = (environ['portico.state'] as Record<string, unknown>)[CSRF_STATE_KEY] as CsrfState;
  const read = environ['portico.input'].read();
  const body =
    environ.REQUEST_METHOD === 'GET'
      ? JSON.stringify({ token: info.token, field: info.field, header: info.header })
      : `accepted ${dec.decode(read)}`;
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [enc.encode(body)];
});

/** A stand-in session layer: one Map per `x-session` header value, with the Session's get/set. */
function fakeSessions(app: App): AsyncApp {
  const stores = new Map<string, Map<string, unknown>>();
  const inner = app as AsyncApp;
  return asyncApp(async function fakeSessionApp(scope, receive, send) {
    if (scope.type === 'http') {
      const id = scope.headers.find(([n]) => n === 'x-session')?.[1];
      if (id !== undefined) {
        const data = stores.get(id) ?? new Map<string, unknown>();
        stores.set(id, data);
        scope.state[SESSION_STATE_KEY] = {
          get: (k: string) => data.get(k),
          set: (k: string, v: unknown) => data.set(k, v),
        };
      }
    }
    return inner(scope, receive, send);
  });
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

for (const [label, leaf] of [
  ['async', () => validateAsync(formAsync)],
  ['sync', () => validateSync(formSync)],
] as const) {
  describe(`csrf() on an ${label} app`, () => {
    const client = createClient(fakeSessions(validateAsync(csrf()(leaf()))));
    const tokenOf = async (sid: string): Promise<string> => {
      const res = await client.get('/form', { headers: { 'x-session': sid } });
      expect(res.status).toBe(200);
      return (res.json() as { token: string }).token;
    };

    it('gives a GET the session token, field and header names', async () => {
      const res = await client.get('/form', { headers: { 'x-session': 'a' } });
      const info = res.json() as { token: string; field: string; header: string };
      expect(info.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(info.field).toBe('_csrf');
      expect(info.header).toBe('x-csrf-token');
      expect(await tokenOf('a')).toBe(info.token); // one token per session
      expect(await tokenOf('b')).not.toBe(info.token);
    });

    it('refuses a POST without a token with 403', async () => {
      await tokenOf('c');
      const res = await client.post('/save', { headers: { 'x-session': 'c', ...FORM }, body: 'title=hi' });
      expect(res.status).toBe(403);
      expect(res.text()).toBe('Forbidden: CSRF token missing or invalid');
      expect(res.header('content-type')).toBe('text/plain; charset=utf-8');
      const none = await client.post('/save', { headers: { 'x-session': 'fresh' } });
      expect(none.status).toBe(403);
    });

    it('accepts the form field, and the app reads the same body bytes', async () => {
      const token = await tokenOf('d');
      const body = `title=caf%C3%A9+%26+more&_csrf=${encodeURIComponent(token)}&n=1`;
      const res = await client.post('/save', { headers: { 'x-session': 'd', ...FORM }, body });
      expect(res.status).toBe(200);
      expect(res.text()).toBe(`accepted ${body}`);
      const chunked = await client.post('/save', {
        headers: { 'x-session': 'd', ...FORM },
        body: (async function* pieces() {
          yield enc.encode(body.slice(0, 5));
          yield enc.encode(body.slice(5));
        })(),
      });
      expect(chunked.text()).toBe(`accepted ${body}`);
    });

    it('accepts the header, for JSON and multipart bodies too', async () => {
      const token = await tokenOf('e');
      const res = await client.post('/save', {
        headers: { 'x-session': 'e', 'x-csrf-token': token },
        json: { a: 1 },
      });
      expect(res.status).toBe(200);
      expect(res.text()).toBe('accepted {"a":1}');
      const multipart = `--b\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--b--\r\n`;
      const headers = { 'x-session': 'e', 'content-type': 'multipart/form-data; boundary=b' };
      expect((await client.post('/save', { headers, body: multipart })).status).toBe(403); // not parsed
      expect(
        (await client.post('/save', { headers: { ...headers, 'x-csrf-token': token }, body: multipart }))
          .status,
      ).toBe(200);
    });

    it('refuses a token of another session, and a wrong token', async () => {
      const other = await tokenOf('f');
      await tokenOf('g');
      for (const t of [other, `${other.slice(0, -1)}A`, '', 'x'.repeat(500)]) {
        const res = await client.post('/save', { headers: { 'x-session': 'g', 'x-csrf-token': t } });
        expect(res.status).toBe(403);
      }
    });

    it('refuses cross-origin requests even with a good token', async () => {
      const token = await tokenOf('h');
      const good = { 'x-session': 'h', 'x-csrf-token': token };
      for (const extra of [
        { origin: 'https://evil.example' },
        { origin: 'https://testserver' },
        { 'sec-fetch-site': 'cross-site' },
      ]) {
        const res = await client.post('/save', { headers: { ...good, ...extra } });
        expect(res.status, JSON.stringify(extra)).toBe(403);
        expect(res.text()).toBe('Forbidden: cross-origin request');
      }
      for (const extra of [
        { origin: 'http://testserver' },
        { origin: 'http://testserver:80' },
        { origin: 'null' },
        { 'sec-fetch-site': 'same-origin' },
      ]) {
        expect(
          (await client.post('/save', { headers: { ...good, ...extra } })).status,
          JSON.stringify(extra),
        ).toBe(200);
      }
      const unchecked = createClient(fakeSessions(csrf({ checkOrigin: false })(leaf())));
      const t2 = (await unchecked.get('/', { headers: { 'x-session': 'z' } }).then((r) => r.json())) as {
        token: string;
      };
      const res = await unchecked.post('/save', {
        headers: { 'x-session': 'z', 'x-csrf-token': t2.token, origin: 'https://evil.example' },
      });
      expect(res.status).toBe(200);
    });

    it('answers 413 for a form body over the limit, and lets safe methods through', async () => {
      const small = createClient(fakeSessions(csrf({ limit: 10 })(leaf())));
      await small.get('/', { headers: { 'x-session': 's' } });
      const res = await small.post('/save', { headers: { 'x-session': 's', ...FORM }, body: 'x'.repeat(11) });
      expect(res.status).toBe(413);
      expect((await small.head('/', { headers: { 'x-session': 's' } })).status).toBe(200);
      expect((await small.options('/', { headers: { 'x-session': 's' } })).status).toBe(200);
    });
  });
}

describe('csrf() without a session', () => {
  it('fails with ERR_MIDDLEWARE_MISUSE, a 500', async () => {
    const app = csrf()(validateAsync(formAsync));
    await expect(createClient(app).get('/')).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_MIDDLEWARE_MISUSE' }),
    );
    const res = await createClient(app, { raiseAppErrors: false }).get('/');
    expect(res.status).toBe(500);
  });
});

describe('csrf() with the real session() middleware', () => {
  it('stores the token in the session and checks it on the next POST', async () => {
    const client = createClient(validateAsync(session()(csrf()(validateAsync(formAsync)))));
    const page = await client.get('/form');
    const token = (page.json() as { token: string }).token;
    const setCookie = page.header('set-cookie') ?? '';
    expect(setCookie).toMatch(/^portico\.sid=/);
    const cookie = setCookie.split(';')[0] as string;
    const ok = await client.post('/save', { headers: { cookie, ...FORM }, body: `_csrf=${token}&a=b` });
    expect(ok.status).toBe(200);
    expect(ok.text()).toBe(`accepted _csrf=${token}&a=b`);
    const noCookie = await client.post('/save', { headers: FORM, body: `_csrf=${token}` });
    expect(noCookie.status).toBe(403);
  });
});

/** `formAsync`, except that `POST /login` regenerates the session (as a login handler should). */
const loginAsync: AsyncApp = async function loginAsync(scope, receive, send) {
  if (scope.type === 'http' && scope.method === 'POST' && scope.path === '/login') {
    await sessionOf(scope).regenerate();
    sessionOf(scope).set('user', 'victim');
  }
  return formAsync(scope, receive, send);
};

describe('csrf() token rotation at login (regenerate)', () => {
  const middlewares = [
    ['session()', session()],
    ['cookieSession()', cookieSession({ keys: ['csrf-rotation-test-key-of-32-bytes!!'] })],
  ] as const;
  for (const [label, sessions] of middlewares) {
    it(`with ${label}: a token known before login stops working after regenerate()`, async () => {
      const client = createClient(validateAsync(sessions(csrf()(validateAsync(loginAsync)))));
      // The attacker gets a session and its token, then plants the cookie in the victim's browser.
      const page = await client.get('/form');
      const planted = (page.json() as { token: string }).token;
      const cookie = (page.header('set-cookie') ?? '').split(';')[0] as string;
      // The victim logs in with that session (the login form carries the planted token).
      const login = await client.post('/login', { headers: { cookie, ...FORM }, body: `_csrf=${planted}` });
      expect(login.status).toBe(200);
      const fresh = (login.header('set-cookie') ?? '').split(';')[0] as string;
      expect(fresh).not.toBe(cookie);
      // The attacker's forged POST with the planted token is refused on the logged-in session.
      const forged = await client.post('/save', {
        headers: { cookie: fresh, ...FORM },
        body: `_csrf=${planted}`,
      });
      expect(forged.status).toBe(403);
      // The logged-in session gets a new token, which works.
      const after = await client.get('/form', { headers: { cookie: fresh } });
      const token = (after.json() as { token: string }).token;
      expect(token).not.toBe(planted);
      const next = (after.header('set-cookie') ?? fresh).split(';')[0] as string;
      const ok = await client.post('/save', { headers: { cookie: next, ...FORM }, body: `_csrf=${token}` });
      expect(ok.status).toBe(200);
    });
  }
});

describe('csrf() options and helpers', () => {
  it('refuses bad options', () => {
    for (const bad of [
      { field: '' },
      { header: 'x y' },
      { limit: -1 },
      { limit: 1.5 },
      { safeMethods: 'GET' },
      { safeMethods: ['GE T'] },
      { checkOrigin: 'yes' },
    ]) {
      expect(() => csrf(bad as never), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });

  it('compares tokens exactly', () => {
    expect(tokensMatch('abc', 'abc')).toBe(true);
    expect(tokensMatch('abc', 'abd')).toBe(false);
    expect(tokensMatch('abc', 'abcd')).toBe(false);
    expect(CSRF_SESSION_KEY).toBe('csrf.token');
  });
});
