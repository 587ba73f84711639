import { createClient } from '@portico/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  basicAuth,
  basicUsers,
  encodeBasicCredentials,
  parseBasicAuthorization,
} from '../../src/auth/index.js';
import { thrownCode } from '../helpers/errors.js';
import { expectRejection, leaves, whoAsync } from './apps.js';

const b64 = (bytes: number[] | string): string =>
  Buffer.from(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Uint8Array.from(bytes)).toString(
    'base64',
  );
const CHALLENGE = 'Basic realm="Restricted", charset="UTF-8"';

describe('parseBasicAuthorization (RFC 7617 section 2)', () => {
  it('reads user-id up to the first colon, in UTF-8, scheme in any case', () => {
    expect(parseBasicAuthorization(`Basic ${b64('alice:se:cret')}`)).toEqual({
      kind: 'credentials',
      user: 'alice',
      password: 'se:cret',
    });
    expect(parseBasicAuthorization(`bAsIc   ${b64('jürgen:pässwörd')}`)).toEqual({
      kind: 'credentials',
      user: 'jürgen',
      password: 'pässwörd',
    });
    expect(parseBasicAuthorization(`Basic ${b64(':')}`)).toEqual({
      kind: 'credentials',
      user: '',
      password: '',
    });
  });

  it('calls absent values and other schemes none', () => {
    expect(parseBasicAuthorization(undefined)).toEqual({ kind: 'none' });
    expect(parseBasicAuthorization(null)).toEqual({ kind: 'none' });
    expect(parseBasicAuthorization('Bearer abc')).toEqual({ kind: 'none' });
    expect(parseBasicAuthorization('Basicx abc')).toEqual({ kind: 'none' });
    expect(parseBasicAuthorization('')).toEqual({ kind: 'none' });
  });

  it.each([
    ['no credentials', 'Basic'],
    ['a tab instead of SP', `Basic\t${b64('a:b')}`],
    ['two tokens', `Basic ${b64('a:b')} ${b64('a:b')}`],
    ['bad base64 alphabet', 'Basic YW!6Yg=='],
    ['missing padding', 'Basic YTpiYw'],
    ['padding in the middle', 'Basic YQ==YTpi'],
    ['stray bits (non-canonical)', 'Basic YTpiYx=='],
    ['no colon', `Basic ${b64('alice')}`],
    ['invalid UTF-8', `Basic ${b64([0xff, 0x3a, 0x61])}`],
    ['overlong UTF-8', `Basic ${b64([0xc0, 0xba, 0x3a, 0x61])}`],
    ['control character', `Basic ${b64('al\x00ice:pw')}`],
  ])('calls %s malformed', (_label, value) => {
    expect(parseBasicAuthorization(value).kind).toBe('malformed');
  });

  it('never throws on arbitrary header strings (fast-check)', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string().map((s) => `Basic ${s}`),
      fc.uint8Array().map((u) => `Basic ${Buffer.from(u).toString('base64')}`),
    );
    fc.assert(
      fc.property(value, (v) => {
        const r = parseBasicAuthorization(v);
        expect(['none', 'malformed', 'credentials']).toContain(r.kind);
      }),
    );
  });

  it('round-trips encodeBasicCredentials for users without ":" and any password (fast-check)', () => {
    const noCtl = (s: string) => !/[\x00-\x1f\x7f]/.test(s);
    const user = fc.string({ unit: 'grapheme' }).filter((s) => !s.includes(':') && noCtl(s));
    const password = fc.string({ unit: 'grapheme' }).filter(noCtl);
    fc.assert(
      fc.property(user, password, (u, p) => {
        expect(parseBasicAuthorization(encodeBasicCredentials(u, p))).toEqual({
          kind: 'credentials',
          user: u,
          password: p,
        });
      }),
    );
  });

  it('refuses to encode what Basic cannot carry', () => {
    expect(thrownCode(() => encodeBasicCredentials('a:b', 'x'))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => encodeBasicCredentials('a', 'x\ny'))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => encodeBasicCredentials('a', '\ud800'))).toBe('ERR_INVALID_OPTION');
  });
});

const users = basicUsers({ alice: 'wonderland', bob: { password: 'builder', roles: ['admin'] } });

for (const [label, leaf] of leaves) {
  describe(`basicAuth() on an ${label} app`, () => {
    const client = createClient(basicAuth({ verify: users })(leaf));

    it('puts the principal in state.principal for good credentials', async () => {
      const res = await client.get('/', {
        headers: { authorization: encodeBasicCredentials('bob', 'builder') },
      });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ principal: { id: 'bob', scheme: 'basic', roles: ['admin'] } });
    });

    it('answers 401 with the challenge and no-store without credentials or with another scheme', async () => {
      expectRejection(await client.get('/'), 401, [CHALLENGE]);
      expectRejection(await client.get('/', { headers: { authorization: 'Bearer abc' } }), 401, [CHALLENGE]);
    });

    it('answers 401 for a wrong password of the same and of a different length, and a wrong user', async () => {
      for (const [u, p] of [
        ['alice', 'wonderlanD'],
        ['alice', 'wonder'],
        ['alice', 'wonderland!'],
        ['alice', 'builder'],
        ['carol', 'wonderland'],
        ['', ''],
      ] as const) {
        const res = await client.get('/', { headers: { authorization: encodeBasicCredentials(u, p) } });
        expectRejection(res, 401, [CHALLENGE]);
        expect(res.text()).toBe('Unauthorized');
      }
    });

    it('answers malformed headers with the same 401, never an exception', async () => {
      for (const authorization of [
        'Basic',
        `Basic ${b64('alice')}`,
        'Basic %%%%',
        `Basic ${b64([0x61, 0x3a, 0xff, 0xfe])}`,
        `Basic ${b64('alice:wonderland').slice(0, -1)}`,
      ]) {
        const res = await client.get('/', { headers: { authorization } });
        expectRejection(res, 401, [CHALLENGE]);
        expect(res.text()).toBe('Malformed credentials');
      }
      const twice = await client.get('/', {
        headers: [
          ['authorization', encodeBasicCredentials('alice', 'wonderland')],
          ['authorization', encodeBasicCredentials('alice', 'wonderland')],
        ],
      });
      expectRejection(twice, 401, [CHALLENGE]);
    });

    it('sends no body for HEAD', async () => {
      const res = await client.request('HEAD', '/');
      expect(res.status).toBe(401);
      expect(res.body.length).toBe(0);
      expect(res.header('www-authenticate')).toBe(CHALLENGE);
    });

    it('with optional: true passes a request without credentials and still refuses bad ones', async () => {
      const opt = createClient(basicAuth({ verify: users, optional: true })(leaf));
      expect((await opt.get('/')).json()).toEqual({ principal: null });
      expect((await opt.get('/', { headers: { authorization: 'Bearer x' } })).json()).toEqual({
        principal: null,
      });
      expectRejection(
        await opt.get('/', { headers: { authorization: encodeBasicCredentials('alice', 'nope') } }),
        401,
        [CHALLENGE],
      );
      expectRejection(await opt.get('/', { headers: { authorization: 'Basic !' } }), 401, [CHALLENGE]);
    });
  });
}

describe('basicAuth() verify and options', () => {
  it('gives verify the decoded user and password and the scope; true means { id: user }', async () => {
    const seen: unknown[] = [];
    const app = basicAuth({
      realm: 'my "realm" \\ here',
      verify: async (user, password, scope) => {
        seen.push([user, password, scope.type, scope.path]);
        return user === 'jürgen';
      },
    })(whoAsync);
    const client = createClient(app);
    const res = await client.get('/x', { headers: { authorization: `Basic ${b64('jürgen:pä:ss')}` } });
    expect(res.json()).toEqual({ principal: { id: 'jürgen', scheme: 'basic', roles: [] } });
    expect(seen).toEqual([['jürgen', 'pä:ss', 'http', '/x']]);
    const refused = await client.get('/x', { headers: { authorization: `Basic ${b64('eve:x')}` } });
    expectRejection(refused, 401, ['Basic realm="my \\"realm\\" \\\\ here", charset="UTF-8"']);
  });

  it('is never called for malformed headers, and no principal appears unless it accepted (fast-check)', async () => {
    let accepted = 0;
    const client = createClient(
      basicAuth({
        verify: (user, password) => {
          const ok = user === 'u' && password === 'p';
          if (ok) accepted++;
          return ok;
        },
      })(whoAsync),
    );
    const byteString = fc.string({
      unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
    });
    const value = fc.oneof(
      byteString,
      byteString.map((s) => `Basic ${s}`),
      fc.uint8Array().map((u) => `Basic ${Buffer.from(u).toString('base64')}`),
      fc.constantFrom(`Basic ${b64('u:p')}`, `basic ${b64('u:p')}`, `Basic ${b64('u:q')}`),
    );
    await fc.assert(
      fc.asyncProperty(value, async (authorization) => {
        const before = accepted;
        const res = await client.get('/', { headers: { authorization } });
        if (res.status === 200) {
          expect(accepted).toBe(before + 1);
          expect(res.json()).toEqual({ principal: { id: 'u', scheme: 'basic', roles: [] } });
        } else {
          expect(accepted).toBe(before);
          expect(res.status).toBe(401);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a websocket handshake without credentials (close 1008) and accepts one with them', async () => {
    const client = createClient(basicAuth({ verify: users })(whoAsync));
    await expect(client.websocket('/ws')).rejects.toMatchObject({
      code: 'ERR_WEBSOCKET_CLOSED',
      value: { code: 1008 },
    });
    const ws = await client.websocket('/ws', {
      headers: { authorization: encodeBasicCredentials('alice', 'wonderland') },
    });
    expect(JSON.parse((await ws.receive()) as string)).toEqual({
      principal: { id: 'alice', scheme: 'basic', roles: [] },
    });
  });

  it('throws ERR_MIDDLEWARE_MISUSE when verify returns something that is not a principal', async () => {
    const app = basicAuth({ verify: () => ({ id: 1 }) as never })(whoAsync);
    await expect(
      createClient(app).get('/', { headers: { authorization: encodeBasicCredentials('a', 'b') } }),
    ).rejects.toMatchObject({ code: 'ERR_MIDDLEWARE_MISUSE' });
  });

  it('checks its options when called', () => {
    expect(thrownCode(() => basicAuth({} as never))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => basicAuth({ verify: users, realm: 'a\r\nb' }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => basicAuth({ verify: users, realm: 'snow ☃' }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => basicAuth({ verify: users, optional: 'yes' as never }))).toBe(
      'ERR_INVALID_OPTION',
    );
    expect(thrownCode(() => basicUsers({ 'a:b': 'x' }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => basicUsers({ a: { password: 1 } as never }))).toBe('ERR_INVALID_OPTION');
  });

  it('basicUsers takes a Map and matches user and password together', () => {
    const verify = basicUsers(
      new Map([
        ['a', 'pa'],
        ['b', 'pb'],
      ]),
    );
    expect(verify('a', 'pa')).toEqual({ id: 'a', scheme: 'basic', roles: [] });
    expect(verify('b', 'pb')).toEqual({ id: 'b', scheme: 'basic', roles: [] });
    expect(verify('a', 'pb')).toBe(false);
    expect(verify('b', 'pa')).toBe(false);
    expect(basicUsers({})('a', 'pa')).toBe(false);
  });
});
