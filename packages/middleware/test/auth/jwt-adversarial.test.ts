/** jwtAuth() against hostile tokens: missing exp, exp now, crit, alg/key mismatch, slow JWKS. */
import { createSign, KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@portico/testing';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtAuth } from '../../src/auth/index.js';
import { thrownCode } from '../helpers/errors.js';
import { expectRejection, leaves } from './apps.js';

const rsa = await generateKeyPair('RS256', { extractable: true });
const ec = await generateKeyPair('ES256', { extractable: true });
const secret = new TextEncoder().encode('a-shared-hmac-secret-of-32-bytes!!');
const now = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const invalid = (text: string) => [
  `Bearer realm="Restricted", error="invalid_token", error_description="${text}"`,
];

async function sign(
  key: Parameters<SignJWT['sign']>[0],
  header: { alg: string; kid?: string; crit?: string[]; [k: string]: unknown },
  claims: JWTPayload = { exp: now() + 300 },
): Promise<string> {
  return new SignJWT({ sub: 'alice', ...claims }).setProtectedHeader(header).sign(key);
}

for (const [label, leaf] of leaves) {
  describe(`jwtAuth() with hostile tokens on an ${label} app`, () => {
    const client = createClient(jwtAuth({ algorithms: ['RS256'], key: rsa.publicKey })(leaf));

    it('refuses a token without exp by default, and accepts it with requireExpiry: false', async () => {
      const forever = await sign(rsa.privateKey, { alg: 'RS256' }, {});
      expectRejection(await client.get('/', bearer(forever)), 401, invalid('exp claim missing'));
      const lax = createClient(
        jwtAuth({ algorithms: ['RS256'], key: rsa.publicKey, requireExpiry: false })(leaf),
      );
      const res = await lax.get('/', bearer(forever));
      expect(res.status).toBe(200);
      expect((res.json() as { principal: { id: string } }).principal.id).toBe('alice');
    });

    it('refuses exp equal to now (the current time must be before exp)', async () => {
      const token = await sign(rsa.privateKey, { alg: 'RS256' }, { exp: now() });
      expectRejection(await client.get('/', bearer(token)), 401, invalid('token expired'));
    });

    it('refuses an unknown crit header parameter', async () => {
      // jose will not sign it: made by hand with node:crypto (RS256 = RSASSA-PKCS1-v1_5 SHA-256).
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const input = `${b64({ alg: 'RS256', crit: ['x-must'], 'x-must': 1 })}.${b64({ sub: 'alice', exp: now() + 300 })}`;
      const mac = createSign('RSA-SHA256').update(input).sign(KeyObject.from(rsa.privateKey), 'base64url');
      const token = `${input}.${mac}`;
      expectRejection(await client.get('/', bearer(token)), 401, invalid('malformed token'));
    });

    it('refuses a token whose alg is not the one of the key (ES256, HS256 for an RSA key)', async () => {
      const es = await sign(ec.privateKey, { alg: 'ES256' });
      expectRejection(await client.get('/', bearer(es)), 401, invalid('algorithm not allowed'));
      const hs = await sign(secret, { alg: 'HS256' });
      expectRejection(await client.get('/', bearer(hs)), 401, invalid('algorithm not allowed'));
    });

    it('sets no principal when an optional layer refuses a bad token', async () => {
      const optional = createClient(
        jwtAuth({ algorithms: ['RS256'], key: rsa.publicKey, optional: true })(leaf),
      );
      const forged = await sign(secret, { alg: 'HS256' });
      expect((await optional.get('/', bearer(forged))).status).toBe(401);
      expect(((await optional.get('/')).json() as { principal: unknown }).principal).toBe(null);
    });
  });
}

describe('jwtAuth() and a JWKS holding an HMAC key', () => {
  it('cannot be told to accept HS256 through a kid in the JWKS', async () => {
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256' },
      { kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid: 'hmac', alg: 'HS256' },
    ];
    expect(thrownCode(() => jwtAuth({ algorithms: ['RS256', 'HS256'], jwks: { keys } }))).toBe(
      'ERR_INVALID_OPTION',
    );
    const client = createClient(jwtAuth({ algorithms: ['RS256'], jwks: { keys } })(leaves[0][1]));
    const hs = await sign(secret, { alg: 'HS256', kid: 'hmac' });
    expectRejection(await client.get('/', bearer(hs)), 401, invalid('algorithm not allowed'));
    const rs = await sign(rsa.privateKey, { alg: 'RS256', kid: 'hmac' });
    expectRejection(await client.get('/', bearer(rs)), 401, invalid('no matching key'));
  });
});

describe('jwtAuth() with a JWKS URL that never answers', () => {
  let server: Server;
  let url: URL;
  beforeAll(async () => {
    server = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails the request after timeoutDuration, never letting it through', async () => {
    const app = jwtAuth({ algorithms: ['RS256'], jwks: url, jwksOptions: { timeoutDuration: 200 } })(
      leaves[0][1],
    );
    const client = createClient(app);
    const started = Date.now();
    const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'k' });
    const error = await client.get('/', bearer(token)).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).toBe('ERR_JWKS_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3000);
    const lenient = createClient(app, { raiseAppErrors: false });
    expect((await lenient.get('/', bearer(token))).status).toBe(500);
  });
});
