/**
 * The notes example's JSON API (jwtAuth, HS256, issuer/audience) and admin area (basicAuth +
 * requireAuth) over the real HTTP adapter, with tokens made by jose (`SignJWT`).
 */
import { type HTTPServer, serve } from '@portico/http';
import { encodeBasicCredentials } from '@portico/middleware';
import { validateAsync } from '@portico/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotesApp } from '../examples/notes/app.js';
import { signNotesToken } from '../examples/notes/token.js';

const secret = new TextEncoder().encode('notes-api-test-secret-0123456789abcdef');
const issuer = 'notes-test';
const audience = 'notes-test-api';
const users = {
  alice: { password: 'alice-pw', roles: ['user'] },
  root: { password: 'root-pw', roles: ['admin'] },
};

let server: HTTPServer;
let base: string;

beforeAll(async () => {
  const app = createNotesApp({ users, jwtSecret: secret, issuer, audience });
  server = await serve(validateAsync(app), { bind: ['127.0.0.1:0'], lifespan: 'off' });
  base = server.addresses[0] as string;
});
afterAll(async () => {
  await server?.close();
});

const token = (over: Partial<Parameters<typeof signNotesToken>[0]> = {}) =>
  signNotesToken({ secret, issuer, audience, subject: 'alice', roles: ['user'], ...over });

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('notes JSON API behind jwtAuth', () => {
  it('creates a note (201 + Location from urlFor) and lists it with a valid token', async () => {
    const auth = { authorization: `Bearer ${await token()}` };
    const created = await fetch(`${base}/api/notes`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'from the <api>' }),
    });
    expect(created.status).toBe(201);
    const note = (await created.json()) as { id: number; text: string };
    expect(note.text).toBe('from the <api>');
    expect(created.headers.get('location')).toBe(`/api/notes/${note.id}`);

    const one = await fetch(`${base}${created.headers.get('location')}`, { headers: auth });
    expect(one.status).toBe(200);
    expect(((await one.json()) as { text: string }).text).toBe('from the <api>');

    const list = await fetch(`${base}/api/notes`, { headers: auth });
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toBe('application/json');
    const body = (await list.json()) as { notes: { id: number; text: string }[] };
    expect(body.notes.map((n) => n.text)).toEqual(['from the <api>']);
  });

  it("keeps users apart: another subject sees none of alice's notes", async () => {
    const res = await fetch(`${base}/api/notes`, {
      headers: { authorization: `Bearer ${await token({ subject: 'bob' })}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ notes: [] });
  });

  it('refuses a non-JSON body with 415 and a bad JSON body with 400', async () => {
    const auth = { authorization: `Bearer ${await token()}` };
    const plain = await fetch(`${base}/api/notes`, { method: 'POST', headers: auth, body: 'hi' });
    expect(plain.status).toBe(415);
    const bad = await fetch(`${base}/api/notes`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"text":',
    });
    expect(bad.status).toBe(400);
  });

  it('answers 401 with a Bearer challenge and no error code without a token', async () => {
    const res = await fetch(`${base}/api/notes`);
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer realm="notes api"/);
    expect(challenge).not.toContain('error=');
  });

  it('answers 401 invalid_token for an expired token', async () => {
    const res = await fetch(`${base}/api/notes`, {
      headers: { authorization: `Bearer ${await token({ expiresIn: -60 })}` },
    });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain('token expired');
  });

  it('answers 401 invalid_token for a wrong audience and a wrong issuer', async () => {
    for (const over of [{ audience: 'someone-else' }, { issuer: 'someone-else' }]) {
      const res = await fetch(`${base}/api/notes`, {
        headers: { authorization: `Bearer ${await token(over)}` },
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate') ?? '').toContain('error="invalid_token"');
    }
  });

  it('answers 401 for a token signed with another secret', async () => {
    const other = new TextEncoder().encode('x'.repeat(40));
    const res = await fetch(`${base}/api/notes`, {
      headers: { authorization: `Bearer ${await token({ secret: other })}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate') ?? '').toContain('error="invalid_token"');
  });

  it('answers 401 for an alg:none token and creates nothing with it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'alice', iss: issuer, aud: audience, iat: now, exp: now + 600 };
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    const res = await fetch(`${base}/api/notes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${unsigned}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'forged' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate') ?? '').toContain('error="invalid_token"');
    const list = await fetch(`${base}/api/notes`, { headers: { authorization: `Bearer ${await token()}` } });
    const body = (await list.json()) as { notes: { text: string }[] };
    expect(body.notes.map((n) => n.text)).not.toContain('forged');
  });
});

describe('notes admin area behind basicAuth + requireAuth(admin)', () => {
  it('answers 401 with the Basic realm without credentials', async () => {
    const res = await fetch(`${base}/admin`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="notes admin", charset="UTF-8"');
    expect(await res.text()).not.toContain('<table');
  });

  it('answers 401 for a wrong password', async () => {
    const res = await fetch(`${base}/admin`, {
      headers: { authorization: encodeBasicCredentials('root', 'wrong') },
    });
    expect(res.status).toBe(401);
  });

  it('answers 403 to a valid user without the admin role', async () => {
    const res = await fetch(`${base}/admin`, {
      headers: { authorization: encodeBasicCredentials('alice', 'alice-pw') },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('<table');
  });

  it('shows the users and their note counts to an admin', async () => {
    const res = await fetch(`${base}/admin`, {
      headers: { authorization: encodeBasicCredentials('root', 'root-pw') },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<tr><td>alice</td><td>1</td></tr>');
    expect(html).toContain('<tr><td>root</td><td>0</td></tr>');
  });

  it('sends the security headers and a request id on every answer', async () => {
    const res = await fetch(`${base}/admin`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-request-id') ?? '').not.toBe('');
  });
});

describe('notes session cookie with secureCookies', () => {
  it('names it __Host-notes.sid with Secure, HttpOnly, SameSite=Lax, Path=/ and no Max-Age, and renews it at login', async () => {
    const app = createNotesApp({ users, jwtSecret: secret, issuer, audience, secureCookies: true });
    const secure = await serve(validateAsync(app), { bind: ['127.0.0.1:0'], lifespan: 'off' });
    try {
      const origin = secure.addresses[0] as string;
      const form = await fetch(`${origin}/login`);
      const first = form.headers.get('set-cookie') ?? '';
      expect(first).toMatch(/^__Host-notes\.sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      const login = await fetch(`${origin}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: first.split(';')[0] as string,
          origin,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ _csrf: token, username: 'alice', password: 'alice-pw' }).toString(),
      });
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe('/');
      const renewed = login.headers.get('set-cookie') ?? '';
      expect(renewed).toMatch(
        /^__Host-notes\.sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );
      expect(renewed.split(';')[0]).not.toBe(first.split(';')[0]);
    } finally {
      await secure.close();
    }
  });
});
