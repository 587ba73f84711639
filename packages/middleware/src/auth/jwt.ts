/**
 * JWT bearer authentication on `jose`: `jwtAuth()` verifies `Authorization: Bearer <JWT>` against a
 * key or a JSON Web Key Set with an algorithm allow-list, and puts the claims in the principal.
 *
 * @module
 */

import { KeyObject } from 'node:crypto';
import type { App, AsyncApp } from '@portico/spec';
import { PorticoError } from '@portico/spec';
import {
  type CryptoKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  type RemoteJWKSetOptions,
} from 'jose';
import { type BearerVerifyResult, bearerMiddleware } from './bearer.js';
import type { Principal } from './principal.js';

/** A verification key: a node `KeyObject`, a WebCrypto `CryptoKey`, an HMAC secret, or a public JWK. */
export type JWTKey = KeyObject | CryptoKey | Uint8Array | JWK;

/** Options of {@link jwtAuth}. */
export interface JWTAuthOptions {
  /**
   * The JWS `alg` values accepted (RFC 7518 section 3.1): required, non-empty, all of one key family
   * (`HS*` with a secret; `RS*`/`PS*` RSA, `ES*` EC, `EdDSA`/`Ed25519` OKP public keys). `none` is
   * refused.
   */
  algorithms: readonly string[];
  /** The one verification key. Exactly one of `key` and `jwks`. */
  key?: JWTKey;
  /**
   * A JSON Web Key Set (asymmetric algorithms only): a `URL` (fetched with jose's
   * `createRemoteJWKSet`, cached, re-fetched for an unknown `kid` after the cooldown) or a set
   * (`createLocalJWKSet`). Keys are picked by `kid` and `alg`.
   */
  jwks?: URL | JSONWebKeySet;
  /** Options of `createRemoteJWKSet` (`timeoutDuration`, `cooldownDuration`, `cacheMaxAge`, in ms). */
  jwksOptions?: RemoteJWKSetOptions;
  /** Expected `iss` (one of). Default: not checked. */
  issuer?: string | readonly string[];
  /** Expected `aud` (one of). Default: not checked. */
  audience?: string | readonly string[];
  /** Leeway for `exp`, `nbf`, `iat`, in seconds. Default `0`. */
  clockTolerance?: number;
  /** Claims that must be present (besides `sub`, always required, and `exp`, see `requireExpiry`). Default `[]`. */
  requiredClaims?: readonly string[];
  /**
   * Whether a token must carry `exp` (RFC 7519 section 4.1.4). Default `true`: a token without one
   * would be valid forever, so it is refused (`exp claim missing`). Set `false` only for tokens
   * that are revoked by other means.
   */
  requireExpiry?: boolean;
  /** Greatest age of the token from `iat`, in seconds (`iat` then required). Default: none. */
  maxTokenAge?: number;
  /**
   * Where the principal's roles come from: a claim name (an array of strings, or a space-separated
   * string such as OAuth's `scope`) or a function of the verified claims. Default: no roles.
   */
  roles?: string | ((claims: JWTPayload) => readonly string[]);
  /** The `realm` of the Bearer challenges. Default `"Restricted"`. */
  realm?: string;
  /** When `true`, a request without a bearer token passes with no principal. Default `false`. */
  optional?: boolean;
}

type Family = 'secret' | 'rsa' | 'ec' | 'okp';

/** The JWS algorithms jwtAuth accepts, by the key family each needs (RFC 7518 section 3.1, RFC 8037). */
const FAMILY: Readonly<Record<string, Family>> = {
  HS256: 'secret',
  HS384: 'secret',
  HS512: 'secret',
  RS256: 'rsa',
  RS384: 'rsa',
  RS512: 'rsa',
  PS256: 'rsa',
  PS384: 'rsa',
  PS512: 'rsa',
  ES256: 'ec',
  ES384: 'ec',
  ES512: 'ec',
  EdDSA: 'okp',
  Ed25519: 'okp',
};

const invalid = (message: string): PorticoError =>
  new PorticoError('ERR_INVALID_OPTION', `jwtAuth(): ${message}`);

/** WebCrypto's `CryptoKey` class (a global in Node >= 20). */
const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey;

/** The family of `key` and, for a secret, its length in bytes. */
function keyFamily(key: unknown): { family: Family; bytes: number } {
  if (key instanceof Uint8Array) return { family: 'secret', bytes: key.length };
  let type: string | undefined;
  let name: string | undefined;
  let bytes = 0;
  if (key instanceof KeyObject) {
    type = key.type;
    name = key.asymmetricKeyType;
    bytes = key.symmetricKeySize ?? 0;
  } else if (CryptoKeyClass !== undefined && key instanceof CryptoKeyClass) {
    const ck = key as CryptoKey;
    type = ck.type;
    name = ck.algorithm.name.toLowerCase();
    bytes = ((ck.algorithm as { length?: number }).length ?? 0) / 8;
  } else if (typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string') {
    const jwk = key as JWK;
    const kty = jwk.kty as string;
    type = kty === 'oct' ? 'secret' : jwk.d !== undefined ? 'private' : 'public';
    name = kty.toLowerCase();
    bytes = typeof jwk.k === 'string' ? Buffer.from(jwk.k, 'base64url').length : 0;
  } else {
    throw invalid('option key must be a KeyObject, CryptoKey, Uint8Array secret or JWK');
  }
  if (type === 'secret') return { family: 'secret', bytes };
  if (type === 'private') throw invalid('option key is a private key: verification takes the public key');
  if (name?.startsWith('rsa')) return { family: 'rsa', bytes };
  if (name === 'ec' || name === 'ecdsa') return { family: 'ec', bytes };
  if (name === 'okp' || name === 'ed25519' || name === 'ed448' || name === 'eddsa')
    return { family: 'okp', bytes };
  throw invalid(`option key is of an unsupported type (${String(name)})`);
}

function stringList(value: unknown, what: string): string | string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v !== '')) {
    return [...value];
  }
  throw invalid(`option ${what} must be a non-empty string or array of strings`);
}

function seconds(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`option ${what} must be a finite number of seconds >= 0`);
  }
  return value;
}

/** Checks `algorithms` against the key: the key-confusion rules. */
function checkAlgorithms(algorithms: unknown, family: Family | 'jwks', secretBytes: number): string[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw invalid('option algorithms is required: a non-empty allow-list of JWS algorithms');
  }
  for (const alg of algorithms) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      throw invalid('option algorithms must not hold "none" (unsecured JWTs, RFC 7519 section 6)');
    }
    const needs = typeof alg === 'string' && Object.hasOwn(FAMILY, alg) ? FAMILY[alg] : undefined;
    if (needs === undefined)
      throw invalid(`option algorithms holds an unknown algorithm ${JSON.stringify(alg)}`);
    if (family === 'jwks' && needs === 'secret') {
      throw invalid(`algorithm ${alg} (HMAC) cannot be used with jwks: give the secret as option key`);
    }
    if (family !== 'jwks' && needs !== family) {
      throw invalid(
        `algorithm ${alg} needs a ${needs === 'secret' ? 'secret' : `${needs.toUpperCase()} public`} key, ` +
          `option key is ${family === 'secret' ? 'a secret' : `an ${family.toUpperCase()} key`} (key confusion)`,
      );
    }
    // RFC 7518 section 3.2: an HMAC key at least as long as the hash output.
    const min = needs === 'secret' ? Number(alg.slice(2)) / 8 : 0;
    if (family === 'secret' && secretBytes < min) {
      throw invalid(`the secret for ${alg} must be at least ${min} bytes (RFC 7518 section 3.2)`);
    }
  }
  return [...(algorithms as string[])];
}

function jwksGetter(jwks: unknown, options: RemoteJWKSetOptions | undefined): JWTVerifyGetKey {
  if (jwks instanceof URL) {
    if (jwks.protocol !== 'https:' && jwks.protocol !== 'http:')
      throw invalid('option jwks must be an http(s) URL');
    return createRemoteJWKSet(jwks, options);
  }
  if (typeof jwks === 'object' && jwks !== null && Array.isArray((jwks as JSONWebKeySet).keys)) {
    return createLocalJWKSet(jwks as JSONWebKeySet);
  }
  throw invalid('option jwks must be a URL or a JSON Web Key Set ({ keys: [...] })');
}

/** A short `error_description` for a jose error (RFC 6750 section 3 charset). */
function describe(error: unknown): string {
  const e = error as { code?: string; claim?: string; reason?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return e.claim === 'iat' ? 'token too old' : 'token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'nbf') return 'token not yet valid';
      return `${String(e.claim)} claim ${e.reason === 'missing' ? 'missing' : 'check failed'}`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature verification failed';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'algorithm not allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no matching key';
    default:
      return 'malformed token';
  }
}

function rolesFrom(source: JWTAuthOptions['roles'], claims: JWTPayload): readonly string[] | undefined {
  if (source === undefined) return [];
  if (typeof source === 'function') return source(claims);
  const value = claims[source];
  if (value === undefined) return [];
  if (typeof value === 'string') return value.split(' ').filter((r) => r !== '');
  if (Array.isArray(value) && value.every((r) => typeof r === 'string')) return value;
  return undefined;
}

/**
 * JWT bearer authentication (RFC 7519 over RFC 6750): the token of `Authorization: Bearer` is
 * verified by jose's `jwtVerify` with the `algorithms` allow-list and the claim checks given
 * (`exp`/`nbf` always, `iss`, `aud`, `iat` age, required claims; `sub` is required and becomes the
 * principal id; `exp` is required unless `requireExpiry: false`; a token is expired when
 * `exp <= now - clockTolerance`, so `exp` equal to now is refused, RFC 7519 section 4.1.4). An
 * unknown `crit` header parameter is refused (RFC 7515 section 4.1.11, by jose). The `typ` header
 * is not checked (RFC 8725 section 3.11): keep `issuer` and `audience` set so that tokens of
 * another kind from the same issuer (ID tokens, say) do not pass. The principal is `{ id: sub, scheme: 'jwt', roles, claims: payload }`. Challenges
 * and statuses are those of {@link bearerAuth}; a refused token's `error_description` says why
 * (`token expired`, `aud claim check failed`, ...). A JWKS that cannot be fetched is not the
 * token's fault: that error propagates (a 500), the request is not let through.
 *
 * Key confusion is refused when built: an HMAC algorithm with an asymmetric key or with `jwks`, an
 * asymmetric algorithm with a secret, a private key; and jose refuses at verification a token whose
 * `alg` is not in the list (`alg: none`, HS256 signed with an RSA public key as the secret).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` (naming the option) for a missing or empty
 *   `algorithms`, `none`, an unknown algorithm, a key that does not fit the algorithms, an HMAC
 *   secret shorter than the hash (RFC 7518 section 3.2), both or neither of `key` and `jwks`, or a
 *   bad claim option
 */
export function jwtAuth(options: JWTAuthOptions): (app: App) => AsyncApp {
  if (typeof options !== 'object' || options === null) throw invalid('options are required');
  if ((options.key === undefined) === (options.jwks === undefined)) {
    throw invalid('give exactly one of option key and option jwks');
  }
  const kf = options.key === undefined ? undefined : keyFamily(options.key);
  const algorithms = checkAlgorithms(options.algorithms, kf?.family ?? 'jwks', kf?.bytes ?? 0);
  const issuer = stringList(options.issuer, 'issuer');
  const audience = stringList(options.audience, 'audience');
  const requiredClaims = stringList(options.requiredClaims ?? ['sub'], 'requiredClaims') as string | string[];
  const clockTolerance = seconds(options.clockTolerance, 'clockTolerance');
  const maxTokenAge = seconds(options.maxTokenAge, 'maxTokenAge');
  const requireExpiry = options.requireExpiry ?? true;
  if (typeof requireExpiry !== 'boolean') throw invalid('option requireExpiry must be a boolean');
  const roles = options.roles;
  if (roles !== undefined && typeof roles !== 'function' && (typeof roles !== 'string' || roles === '')) {
    throw invalid('option roles must be a claim name or a function');
  }
  const verifyOptions = {
    algorithms,
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
    requiredClaims: [
      ...new Set([
        'sub',
        ...(requireExpiry ? ['exp'] : []),
        ...(typeof requiredClaims === 'string' ? [requiredClaims] : requiredClaims),
      ]),
    ],
    ...(clockTolerance === undefined ? {} : { clockTolerance }),
    ...(maxTokenAge === undefined ? {} : { maxTokenAge }),
  };

  // Errors of the key set itself (fetch failed, timeout, bad JSON) are ours, not the token's.
  const keySetFailures = new WeakSet<object>();
  let keySource: JWTKey | JWTVerifyGetKey;
  if (options.key !== undefined) {
    keySource = options.key;
  } else {
    const getter = jwksGetter(options.jwks, options.jwksOptions);
    keySource = async function jwksKey(header, token) {
      try {
        return await getter(header, token);
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        const tokenFault = code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS';
        if (!tokenFault && typeof error === 'object' && error !== null) keySetFailures.add(error);
        throw error;
      }
    } as JWTVerifyGetKey;
  }

  async function verifyJWT(token: string): Promise<BearerVerifyResult> {
    let claims: JWTPayload;
    try {
      // Both overloads of jwtVerify take what keySource holds.
      ({ payload: claims } = await jwtVerify(token, keySource as JWTVerifyGetKey, verifyOptions));
    } catch (error) {
      if (typeof error === 'object' && error !== null && keySetFailures.has(error)) throw error;
      return { error: 'invalid_token', description: describe(error) };
    }
    if (typeof claims.sub !== 'string')
      return { error: 'invalid_token', description: 'sub claim check failed' };
    const list = rolesFrom(roles, claims);
    if (list === undefined) return { error: 'invalid_token', description: 'roles claim check failed' };
    const principal: Principal = {
      id: claims.sub,
      scheme: 'jwt',
      roles: list,
      claims: Object.freeze(claims),
    };
    return principal;
  }

  return bearerMiddleware('jwtAuth', options, verifyJWT);
}
