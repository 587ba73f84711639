/**
 * The engine shared by `basicAuth`, `bearerAuth` and `jwtAuth`: one flow, each scheme supplying how
 * it reads and checks credentials.
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, type HTTPScope, type WebSocketScope } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { authorizationOf, type Rejection, reject } from './challenge.js';
import {
  type AuthChallenge,
  challengesOf,
  PRINCIPAL_STATE_KEY,
  type Principal,
  recordChallenge,
} from './principal.js';

/** What a scheme made of a request's `Authorization`. */
export type Outcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'reject'; readonly rejection: Rejection }
  | { readonly kind: 'principal'; readonly principal: Principal };

/** How one scheme plugs into {@link authMiddleware}. */
export interface Scheme {
  /** The factory's name, for error messages (`basicAuth`). */
  readonly name: string;
  readonly challenge: AuthChallenge;
  readonly optional: boolean;
  /**
   * Reads the credentials: `authorization` is the trimmed field value, `null` when absent, `false`
   * when the field came more than once.
   */
  authenticate(authorization: string | null | false, scope: HTTPScope | WebSocketScope): Promise<Outcome>;
}

/** The 401 for a request that brought no credentials: every challenge recorded so far. */
export function missingCredentials(scope: HTTPScope | WebSocketScope): Rejection {
  return {
    status: 401,
    message: 'Unauthorized',
    challenges: challengesOf(scope).map((c) => c.unauthorized),
  };
}

/**
 * Builds an auth middleware from a {@link Scheme}: http and websocket requests are authenticated,
 * other scope types pass through (MW-PASS-1). The challenge is recorded in `state.authChallenges`;
 * a request without credentials of this scheme passes when `optional` or when an outer layer already
 * set a principal, else gets a 401; bad credentials are always rejected; good ones set
 * `state.principal` before the app is called.
 */
export function authMiddleware(scheme: Scheme): (app: App) => AsyncApp {
  return (app) => {
    const inner = toAsyncApp(app, `the app given to ${scheme.name}()`);
    return asyncApp(async function authApp(scope, receive, send) {
      if (scope.type !== 'http' && scope.type !== 'websocket') return inner(scope, receive, send);
      recordChallenge(scope.state, scheme.challenge);
      const outcome = await scheme.authenticate(authorizationOf(scope.headers), scope);
      if (outcome.kind === 'reject') return reject(scope, send, outcome.rejection);
      if (outcome.kind === 'principal') {
        scope.state[PRINCIPAL_STATE_KEY] = outcome.principal;
      } else if (!scheme.optional && scope.state[PRINCIPAL_STATE_KEY] === undefined) {
        return reject(scope, send, missingCredentials(scope));
      }
      return inner(scope, receive, send);
    });
  };
}
