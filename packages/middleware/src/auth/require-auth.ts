/**
 * `requireAuth()`: the guard that lets through only requests with a principal (and the roles asked
 * for), to put in front of a route, a mount or a whole app.
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, PorticoError } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { reject } from './challenge.js';
import { challengesOf, PRINCIPAL_STATE_KEY, type Principal } from './principal.js';

/** Options of {@link requireAuth}. */
export interface RequireAuthOptions {
  /** Roles the principal must have. Default `[]`: any authenticated principal passes. */
  roles?: readonly string[];
  /** `'all'`: every role in `roles` is needed (default); `'any'`: one is enough. */
  mode?: 'all' | 'any';
  /**
   * The `WWW-Authenticate` value(s) of the 401. Default: the challenges the auth middleware in
   * front recorded in `state.authChallenges`.
   */
  challenge?: string | readonly string[];
}

const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]+$/;

/**
 * A guard: a request (http or websocket) whose `state.principal` is set and holds the `roles` asked
 * for reaches the app; other scope types pass through (MW-PASS-1).
 * - No principal: `401` with one `WWW-Authenticate` per challenge (option `challenge`, else those
 *   recorded by the auth middleware that ran). With no challenge known (a session login, say) the
 *   answer is `403`, since a 401 without `WWW-Authenticate` is not allowed (RFC 9110 section 15.5.2).
 * - Missing roles: `403` (the `ERR_FORBIDDEN` meaning), with the Bearer `insufficient_scope`
 *   challenge when a bearer/JWT layer ran (RFC 6750 section 3.1), none for Basic.
 * Rejections are short text/plain bodies with `cache-control: no-store`; a websocket handshake is
 * refused with close code 1008.
 *
 * @example `router().get('/admin', requireAuth({ roles: ['admin'] })(adminApp))`
 * @throws PorticoError `ERR_INVALID_OPTION` for `roles` that is not an array of non-empty strings, a
 *   `mode` other than `'all'`/`'any'`, or a `challenge` that is not a valid field value (when called)
 */
export function requireAuth(options: RequireAuthOptions = {}): (app: App) => AsyncApp {
  const roles = options.roles ?? [];
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string' && r !== '')) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      'option roles of requireAuth() must be an array of non-empty strings',
    );
  }
  const mode = options.mode ?? 'all';
  if (mode !== 'all' && mode !== 'any') {
    throw new PorticoError('ERR_INVALID_OPTION', `option mode of requireAuth() must be 'all' or 'any'`);
  }
  const given = options.challenge === undefined ? undefined : [options.challenge].flat();
  if (given !== undefined && !given.every((c) => typeof c === 'string' && FIELD_VALUE.test(c))) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      'option challenge of requireAuth() must be WWW-Authenticate values',
    );
  }
  const wanted = Object.freeze([...roles]);
  const allowed = (principal: Principal): boolean =>
    wanted.length === 0 ||
    (mode === 'all'
      ? wanted.every((r) => principal.roles.includes(r))
      : wanted.some((r) => principal.roles.includes(r)));
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to requireAuth()');
    return asyncApp(async function requireAuthApp(scope, receive, send) {
      if (scope.type !== 'http' && scope.type !== 'websocket') return inner(scope, receive, send);
      const principal = scope.state[PRINCIPAL_STATE_KEY] as Principal | undefined;
      const recorded = challengesOf(scope);
      if (principal === undefined) {
        const challenges = given ?? recorded.map((c) => c.unauthorized);
        if (challenges.length > 0)
          return reject(scope, send, { status: 401, message: 'Unauthorized', challenges });
        return reject(scope, send, { status: 403, message: 'Forbidden', challenges: [] });
      }
      if (!allowed(principal)) {
        const challenges = recorded.flatMap((c) => c.forbidden(wanted) ?? []);
        return reject(scope, send, { status: 403, message: 'Forbidden', challenges });
      }
      return inner(scope, receive, send);
    });
  };
}
