/**
 * The principal: who a request was authenticated as, in its one home `scope.state.principal`
 * (sync apps: `environ['portico.state'].principal`), whichever method authenticated it.
 *
 * @module
 */

import { PorticoError, type State } from '@portico/spec';

/** The key of `scope.state` (and `environ['portico.state']`) that holds the {@link Principal}. */
export const PRINCIPAL_STATE_KEY = 'principal';

/**
 * The key of `scope.state` that holds the {@link AuthChallenge}s of the auth middleware a request
 * went through (outermost first), for {@link requireAuth} and for the 401s of later auth layers.
 */
export const AUTH_CHALLENGES_STATE_KEY = 'authChallenges';

/** Who the request is from, as an auth middleware (or the app, with {@link setPrincipal}) decided. */
export interface Principal {
  /** The user id: the Basic user-id, the JWT `sub`, what a bearer `verify` or a session returned. */
  readonly id: string;
  /** How it was authenticated: `'basic' | 'bearer' | 'jwt' | 'session' | ...`. */
  readonly scheme: string;
  /** Roles (or OAuth scopes) for {@link requireAuth}; `[]` when none. */
  readonly roles: readonly string[];
  /** Extra facts: the verified JWT payload for `jwtAuth`; whatever `verify` gave for the others. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * How an auth middleware asks for credentials, recorded in `state.authChallenges` so that a guard
 * further in ({@link requireAuth}) can answer with the right `WWW-Authenticate`.
 */
export interface AuthChallenge {
  /** The `WWW-Authenticate` value for a 401 (RFC 9110 section 11.6.1): `Basic realm="x", charset="UTF-8"`. */
  readonly unauthorized: string;
  /**
   * The `WWW-Authenticate` value for a 403 caused by missing roles, or `undefined` when the scheme
   * defines none (Basic). Bearer: `error="insufficient_scope"` with `scope` (RFC 6750 section 3.1).
   */
  forbidden(roles: readonly string[]): string | undefined;
}

/** Where per-request state lives: a scope (`state`) or a sync environ (`portico.state`). */
export type StateHolder = { readonly state: State } | { readonly 'portico.state': State };

function stateOf(holder: StateHolder): State {
  const state =
    'portico.state' in holder ? holder['portico.state'] : (holder as { readonly state: State }).state;
  if (typeof state !== 'object' || state === null) {
    throw new PorticoError(
      'ERR_MIDDLEWARE_MISUSE',
      'principalOf/setPrincipal need a scope or environ with state',
    );
  }
  return state;
}

/**
 * Checks a principal-like value and returns a frozen {@link Principal} (roles copied, claims kept).
 *
 * @param value - what a `verify` callback or an app gave
 * @param what - names the source in the error
 * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` when `id` or `scheme` is not a string or `roles` is not
 *   an array of strings
 */
export function toPrincipal(value: unknown, what: string): Principal {
  const p = value as Partial<Principal> | null;
  if (
    typeof p !== 'object' ||
    p === null ||
    typeof p.id !== 'string' ||
    typeof p.scheme !== 'string' ||
    !Array.isArray(p.roles) ||
    !p.roles.every((r) => typeof r === 'string') ||
    (p.claims !== undefined && (typeof p.claims !== 'object' || p.claims === null))
  ) {
    throw new PorticoError(
      'ERR_MIDDLEWARE_MISUSE',
      `${what} is not a Principal ({ id: string, scheme: string, roles: string[], claims?: object })`,
    );
  }
  const principal: Principal = {
    id: p.id,
    scheme: p.scheme,
    roles: Object.freeze([...p.roles]),
    ...(p.claims === undefined ? {} : { claims: p.claims }),
  };
  return Object.freeze(principal);
}

/**
 * The request's principal, or `undefined` when no auth middleware (or app) set one.
 *
 * @param scope - an http/websocket scope (`scope.state`) or a sync environ (`environ['portico.state']`)
 */
export function principalOf(scope: StateHolder): Principal | undefined {
  return stateOf(scope)[PRINCIPAL_STATE_KEY] as Principal | undefined;
}

/**
 * Sets the request's principal: for apps that authenticate by other means (a session: a small
 * middleware that reads the session and calls this, before {@link requireAuth}).
 *
 * @param scope - an http/websocket scope or a sync environ
 * @param principal - checked and stored frozen
 * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` when `principal` is not a {@link Principal}
 */
export function setPrincipal(scope: StateHolder, principal: Principal): void {
  stateOf(scope)[PRINCIPAL_STATE_KEY] = toPrincipal(principal, 'the principal given to setPrincipal()');
}

/** The challenges recorded so far in `state.authChallenges` (outermost first). */
export function challengesOf(scope: StateHolder): readonly AuthChallenge[] {
  return (stateOf(scope)[AUTH_CHALLENGES_STATE_KEY] as readonly AuthChallenge[] | undefined) ?? [];
}

/** Appends `challenge` to `state.authChallenges` (a new array: earlier readers keep theirs). */
export function recordChallenge(state: State, challenge: AuthChallenge): void {
  const before = (state[AUTH_CHALLENGES_STATE_KEY] as readonly AuthChallenge[] | undefined) ?? [];
  state[AUTH_CHALLENGES_STATE_KEY] = Object.freeze([...before, challenge]);
}
