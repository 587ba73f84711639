import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@portico/testing';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtAuth, requireAuth } from '../../src/auth/index.js';
import { thrownCode } from '../helpers/errors.js';
import { expectRejection, leaves, whoAsync } from './apps.js';

const rsa = await generateKeyPair('RS256', { extractable: true });
const rsa2 = await generateKeyPair('RS256', { extractable: true });
const ec = await generateKeyPair('ES256', { extractable: true });
const rsaJwk = await exportJWK(rsa.publicKey);
const secret = new TextEncoder().encode('a-shared-hmac-secret-of-32-bytes!!');
const now = () => Math.floor(Date.now() / 1000);
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function sign(
  key: Parameters<SignJWT['sign']>[0],
  alg: string,
  claims: JWTPayload = {},
  kid?: string,
): Promise<string> {
  return new SignJWT({
    roles: ['reader'],
    sub: 'alice',
    iat: now(),
    iss: 'https://issuer.example',
    aud: 'portico-api',
    exp: now() + 300,
    ...claims,
  })
    .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
    .sign(key);
}
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const invalid = (text: string) => [
  `Bearer realm="Restricted", error="invalid_token", error_description="${text}"`,
];

const options = {
  algorithms: ['RS256'],
  key: rsa.publicKey,
  issuer: 'https://issuer.example',
  audience: 'portico-api',
  roles: 'roles',
} as const;

for (const [label, leaf] of leaves) {
  describe(`jwtAuth() with an RSA public key on an ${label} app`, () => {
    const client = createClient(jwtAuth(options)(leaf));

    it('accepts a good token: id from sub, roles from the claim, claims kept', async () => {
      const res = await client.get('/', bearer(await sign(rsa.privateKey, 'RS256')));
      expect(res.status).toBe(200);
      const { principal } = res.json<{ principal: Record<string, unknown> }>();
      expect(principal).toMatchObject({ id: 'alice', scheme: 'jwt', roles: ['reader'] });
      expect(principal.claims).toMatchObject({
        sub: 'alice',
        aud: 'portico-api',
        iss: 'https://issuer.example',
      });
    });

    it('refuses alg none', async () => {
      const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'alice', aud: 'portico-api', iss: 'https://issuer.example', exp: now() + 60 })}.`;
      expectRejection(await client.get('/', bearer(token)), 401, invalid('algorithm not allowed'));
    });

    it('refuses HS256 signed with the RSA public key as the HMAC secret (key confusion)', async () => {
      const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
      const token = await sign(pem, 'HS256');
      expectRejection(await client.get('/', bearer(token)), 401, invalid('algorithm not allowed'));
    });

    it('refuses a token signed by another key', async () => {
      expectRejection(
        await client.get('/', bearer(await sign(rsa2.privateKey, 'RS256'))),
        401,
        invalid('signature verification failed'),
      );
    });

    it('refuses expired tokens, wrong audience, wrong issuer, missing sub', async () => {
      const expired = await sign(rsa.privateKey, 'RS256', { exp: now() - 10 });
      expectRejection(await client.get('/', bearer(expired)), 401, invalid('token expired'));
      const aud = await sign(rsa.privateKey, 'RS256', { aud: 'another-api' });
      expectRejection(await client.get('/', bearer(aud)), 401, invalid('aud claim check failed'));
      const iss = await sign(rsa.privateKey, 'RS256', { iss: 'https://evil.example' });
      expectRejection(await client.get('/', bearer(iss)), 401, invalid('iss claim check failed'));
      const noSub = await new SignJWT({ aud: 'portico-api', iss: 'https://issuer.example' })
        .setProtectedHeader({ alg: 'RS256' })
        .setExpirationTime('1m')
        .sign(rsa.privateKey);
      expectRejection(await client.get('/', bearer(noSub)), 401, invalid('sub claim missing'));
      expectRejection(await client.get('/', bearer('not.a.jwt')), 401, invalid('malformed token'));
    });

    it('refuses nbf in the future, and accepts it within clockTolerance', async () => {
      const early = await sign(rsa.privateKey, 'RS256', { nbf: now() + 30 });
      expectRejection(await client.get('/', bearer(early)), 401, invalid('token not yet valid'));
      const tolerant = createClient(jwtAuth({ ...options, clockTolerance: 60 })(leaf));
      expect((await tolerant.get('/', bearer(early))).status).toBe(200);
      const expiredLately = await sign(rsa.privateKey, 'RS256', { exp: now() - 10 });
      expect((await tolerant.get('/', bearer(expiredLately))).status).toBe(200);
    });

    it('refuses tokens older than maxTokenAge', async () => {
      const aged = createClient(jwtAuth({ ...options, maxTokenAge: 60 })(leaf));
      const old = await sign(rsa.privateKey, 'RS256', { iat: now() - 120 });
      expectRejection(await aged.get('/', bearer(old)), 401, invalid('token too old'));
    });

    it('gives 403 insufficient_scope behind requireAuth for a missing role', async () => {
      const guarded = createClient(jwtAuth(options)(requireAuth({ roles: ['admin'] })(leaf)));
      expectRejection(await guarded.get('/', bearer(await sign(rsa.privateKey, 'RS256'))), 403, [
        'Bearer realm="Restricted", error="insufficient_scope", scope="admin"',
      ]);
      const admin = await sign(rsa.privateKey, 'RS256', { roles: ['admin'] });
      expect((await guarded.get('/', bearer(admin))).status).toBe(200);
    });
  });
}

describe('jwtAuth() keys and options', () => {
  it('accepts an HMAC secret with HS256, and roles from a space-separated scope claim', async () => {
    const client = createClient(jwtAuth({ algorithms: ['HS256'], key: secret, roles: 'scope' })(whoAsync));
    const res = await client.get('/', bearer(await sign(secret, 'HS256', { scope: 'read write' })));
    expect(res.json<{ principal: { roles: string[] } }>().principal.roles).toEqual(['read', 'write']);
  });

  it('accepts a public JWK and a roles function', async () => {
    const jwk = await exportJWK(ec.publicKey);
    const client = createClient(
      jwtAuth({ algorithms: ['ES256'], key: jwk, roles: (c) => [`user:${String(c.sub)}`] })(whoAsync),
    );
    const res = await client.get('/', bearer(await sign(ec.privateKey, 'ES256')));
    expect(res.json<{ principal: { roles: string[] } }>().principal.roles).toEqual(['user:alice']);
  });

  it('refuses when built: none, empty or missing algorithms, key confusion, short secrets, private keys', async () => {
    const pk = rsa.publicKey;
    expect(thrownCode(() => jwtAuth({ algorithms: ['none'], key: secret }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: ['RS256', 'NONE'], key: pk }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: [], key: pk }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ key: pk } as never))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: ['HS256', 'RS256'], key: pk }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: ['HS256'], key: pk }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: ['HS256'], key: rsaJwk }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: ['RS256'], key: secret }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: ['ES256'], key: pk }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: ['HS256'], jwks: { keys: [] } }))).toBe(
      'ERR_INVALID_OPTION',
    );
    expect(thrownCode(() => jwtAuth({ algorithms: ['HS512'], key: secret }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: ['RS256'], key: rsa.privateKey }))).toBe(
      'ERR_INVALID_OPTION',
    );
    expect(thrownCode(() => jwtAuth({ algorithms: ['XS256'], key: pk }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: ['RS256'] }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => jwtAuth({ algorithms: ['RS256'], key: pk, jwks: { keys: [] } }))).toBe(
      'ERR_INVALID_OPTION',
    );
    expect(thrownCode(() => jwtAuth({ algorithms: ['RS256'], key: pk, clockTolerance: -1 }))).toBe(
      'ERR_INVALID_OPTION',
    );
    expect(thrownCode(() => jwtAuth({ algorithms: ['RS256'], key: pk, audience: [] }))).toBe(
      'ERR_INVALID_OPTION',
    );
    expect(thrownCode(() => jwtAuth({ algorithms: ['RS256'], jwks: new URL('file:///etc/jwks') }))).toBe(
      'ERR_INVALID_OPTION',
    );
  });

  it('verifies against a local JWKS by kid, and refuses an unknown kid', async () => {
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256' },
      { ...(await exportJWK(rsa2.publicKey)), kid: 'k2', alg: 'RS256' },
    ];
    const client = createClient(jwtAuth({ algorithms: ['RS256'], jwks: { keys } })(whoAsync));
    expect((await client.get('/', bearer(await sign(rsa.privateKey, 'RS256', {}, 'k1')))).status).toBe(200);
    expect((await client.get('/', bearer(await sign(rsa2.privateKey, 'RS256', {}, 'k2')))).status).toBe(200);
    expectRejection(
      await client.get('/', bearer(await sign(rsa2.privateKey, 'RS256', {}, 'k1'))),
      401,
      invalid('signature verification failed'),
    );
    expectRejection(
      await client.get('/', bearer(await sign(rsa.privateKey, 'RS256', {}, 'k9'))),
      401,
      invalid('no matching key'),
    );
  });
});

describe('jwtAuth() with a JWKS URL served by node:http on 127.0.0.1', () => {
  let server: Server;
  let fetches = 0;
  let keys: JWK[] = [];
  let url: URL;

  beforeAll(async () => {
    keys = [{ ...(await exportJWK(rsa.publicKey)), kid: 'old', alg: 'RS256', use: 'sig' }];
    server = createServer((_req, res) => {
      fetches++;
      const body = JSON.stringify({ keys });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches once and caches, then re-fetches for a new kid (rotation)', async () => {
    const client = createClient(
      jwtAuth({ algorithms: ['RS256'], jwks: url, jwksOptions: { cooldownDuration: 0 } })(leaves[1][1]),
    );
    for (let i = 0; i < 3; i++) {
      const res = await client.get('/', bearer(await sign(rsa.privateKey, 'RS256', {}, 'old')));
      expect(res.status).toBe(200);
    }
    expect(fetches).toBe(1);
    keys = [...keys, { ...(await exportJWK(rsa2.publicKey)), kid: 'new', alg: 'RS256', use: 'sig' }];
    const rotated = await client.get('/', bearer(await sign(rsa2.privateKey, 'RS256', {}, 'new')));
    expect(rotated.status).toBe(200);
    expect(fetches).toBe(2);
    expect((await client.get('/', bearer(await sign(rsa.privateKey, 'RS256', {}, 'old')))).status).toBe(200);
    expect(fetches).toBe(2);
  });

  it('lets a JWKS fetch failure propagate instead of answering 401', async () => {
    const dead = new URL(url);
    dead.port = '1';
    const client = createClient(jwtAuth({ algorithms: ['RS256'], jwks: dead })(whoAsync));
    await expect(client.get('/', bearer(await sign(rsa.privateKey, 'RS256', {}, 'old')))).rejects.toThrow();
  });
});
