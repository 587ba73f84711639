import { createClient } from '@portico/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerAuth, type Principal, parseBearerAuthorization, requireAuth } from '../../src/auth/index.js';
import { thrownCode } from '../helpers/errors.js';
import { expectRejection, leaves } from './apps.js';

const TOKENS: Record<string, Principal> = {
  'tok-admin': { id: 'ann', scheme: 'bearer', roles: ['read', 'admin'] },
  'tok-reader': { id: 'rob', scheme: 'bearer', roles: ['read'] },
};
const verify = (token: string) =>
  token === 'tok-expired'
    ? ({ error: 'invalid_token', description: 'token "expired"' } as const)
    : TOKENS[token];

describe('parseBearerAuthorization (RFC 6750 section 2.1)', () => {
  it('reads a b64token after Bearer in any case', () => {
    expect(parseBearerAuthorization('Bearer abc.DEF-_~+/==')).toEqual({
      kind: 'token',
      token: 'abc.DEF-_~+/==',
    });
    expect(parseBearerAuthorization('bearer  x')).toEqual({ kind: 'token', token: 'x' });
  });
  it('tells none from malformed', () => {
    expect(parseBearerAuthorization(undefined).kind).toBe('none');
    expect(parseBearerAuthorization('Basic YTpi').kind).toBe('none');
    for (const v of ['Bearer', 'Bearer a b', 'Bearer =abc', 'Bearer a=b', 'Bearer\tx', 'Bearer "x"']) {
      expect(parseBearerAuthorization(v).kind).toBe('malformed');
    }
  });
  it('never throws and only yields b64tokens (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string().map((s) => `Bearer ${s}`),
        ),
        (v) => {
          const r = parseBearerAuthorization(v);
          if (r.kind === 'token') expect(r.token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
        },
      ),
    );
  });
});

for (const [label, leaf] of leaves) {
  describe(`bearerAuth() on an ${label} app`, () => {
    const client = createClient(bearerAuth({ verify, realm: 'api' })(leaf));
    const guarded = createClient(
      bearerAuth({ verify, realm: 'api' })(requireAuth({ roles: ['admin'] })(leaf)),
    );

    it('puts the principal verify returned in state.principal', async () => {
      const res = await client.get('/', { headers: { authorization: 'Bearer tok-admin' } });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ principal: TOKENS['tok-admin'] });
    });

    it('answers the RFC 6750 section 3 challenges', async () => {
      expectRejection(await client.get('/'), 401, ['Bearer realm="api"']);
      expectRejection(await client.get('/', { headers: { authorization: 'Bearer a b' } }), 400, [
        'Bearer realm="api", error="invalid_request", error_description="the token is not a b64token"',
      ]);
      expectRejection(
        await client.get('/', {
          headers: [
            ['authorization', 'Bearer tok-admin'],
            ['authorization', 'Bearer tok-admin'],
          ],
        }),
        400,
        [
          'Bearer realm="api", error="invalid_request", error_description="more than one Authorization field"',
        ],
      );
      expectRejection(await client.get('/', { headers: { authorization: 'Bearer nope' } }), 401, [
        'Bearer realm="api", error="invalid_token"',
      ]);
      expectRejection(await client.get('/', { headers: { authorization: 'Bearer tok-expired' } }), 401, [
        'Bearer realm="api", error="invalid_token", error_description="token  expired "',
      ]);
      expectRejection(await guarded.get('/', { headers: { authorization: 'Bearer tok-reader' } }), 403, [
        'Bearer realm="api", error="insufficient_scope", scope="admin"',
      ]);
      const ok = await guarded.get('/', { headers: { authorization: 'Bearer tok-admin' } });
      expect(ok.json()).toEqual({ principal: TOKENS['tok-admin'] });
    });

    it('with optional: true passes requests without a token only', async () => {
      const opt = createClient(bearerAuth({ verify, optional: true })(leaf));
      expect((await opt.get('/')).json()).toEqual({ principal: null });
      expectRejection(await opt.get('/', { headers: { authorization: 'Bearer nope' } }), 401, [
        'Bearer realm="Restricted", error="invalid_token"',
      ]);
    });
  });
}

describe('bearerAuth() options', () => {
  it('checks them when called', () => {
    expect(thrownCode(() => bearerAuth({} as never))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => bearerAuth({ verify, realm: 'x\ny' }))).toBe('ERR_INVALID_OPTION');
  });

  it('does not give out a principal unless verify returned one (fast-check)', async () => {
    const client = createClient(bearerAuth({ verify })(leaves[0][1]));
    const byteString = fc.string({
      unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          byteString,
          byteString.map((s) => `Bearer ${s}`),
        ),
        async (authorization) => {
          const res = await client.get('/', { headers: { authorization } });
          expect(res.status).not.toBe(200);
          expect([400, 401]).toContain(res.status);
        },
      ),
      { numRuns: 200 },
    );
  });
});
