import { type AsyncApp, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import {
  AUTH_CHALLENGES_STATE_KEY,
  basicAuth,
  basicUsers,
  bearerAuth,
  encodeBasicCredentials,
  principalOf,
  requireAuth,
  setPrincipal,
} from '../../src/auth/index.js';
import { router } from '../../src/router/index.js';
import { thrownCode } from '../helpers/errors.js';
import { expectLifespanPassesThrough } from '../helpers/lifespan.js';
import { expectRejection, leaves, whoAsync } from './apps.js';

const users = basicUsers({ ann: { password: 'pw-ann', roles: ['admin', 'ops'] }, bob: 'pw-bob' });
const BASIC = 'Basic realm="Restricted", charset="UTF-8"';

/** The session-to-principal middleware of the notes: reads a (fake) session header, calls setPrincipal. */
function sessionPrincipal(app: AsyncApp): AsyncApp {
  return async function sessionPrincipalApp(scope, receive, send) {
    if (scope.type === 'http') {
      const user = scope.headers.find(([n]) => n === 'x-session-user')?.[1];
      if (user !== undefined) setPrincipal(scope, { id: user, scheme: 'session', roles: ['member'] });
    }
    return app(scope, receive, send);
  };
}

for (const [label, leaf] of leaves) {
  describe(`requireAuth() on an ${label} app`, () => {
    it('guards a route of a router: 401 with the challenge of the auth layer, 403 for a missing role', async () => {
      const app = basicAuth({ verify: users, optional: true })(
        router()
          .get('/admin', requireAuth({ roles: ['admin'] })(leaf))
          .get('/public', leaf),
      );
      const client = createClient(app);
      expect((await client.get('/public')).json()).toEqual({ principal: null });
      expectRejection(await client.get('/admin'), 401, [BASIC]);
      expectRejection(
        await client.get('/admin', { headers: { authorization: encodeBasicCredentials('bob', 'pw-bob') } }),
        403,
        [],
      );
      const ok = await client.get('/admin', {
        headers: { authorization: encodeBasicCredentials('ann', 'pw-ann') },
      });
      expect(ok.json()).toEqual({ principal: { id: 'ann', scheme: 'basic', roles: ['admin', 'ops'] } });
    });

    it("mode 'any' needs one role, 'all' every role", async () => {
      const auth = { headers: { authorization: encodeBasicCredentials('ann', 'pw-ann') } };
      const any = createClient(
        basicAuth({ verify: users })(requireAuth({ roles: ['root', 'ops'], mode: 'any' })(leaf)),
      );
      expect((await any.get('/', auth)).status).toBe(200);
      const all = createClient(basicAuth({ verify: users })(requireAuth({ roles: ['root', 'ops'] })(leaf)));
      expect((await all.get('/', auth)).status).toBe(403);
    });

    it('works with a principal set from a session; without any challenge a missing principal is a 403', async () => {
      const client = createClient(sessionPrincipal(requireAuth()(leaf)));
      expect((await client.get('/', { headers: { 'x-session-user': 'sam' } })).json()).toEqual({
        principal: { id: 'sam', scheme: 'session', roles: ['member'] },
      });
      expectRejection(await client.get('/'), 403, []);
      const withChallenge = createClient(
        sessionPrincipal(requireAuth({ challenge: 'Session realm="app"' })(leaf)),
      );
      expectRejection(await withChallenge.get('/'), 401, ['Session realm="app"']);
    });
  });
}

describe('auth layers together', () => {
  it('a 401 carries the challenges of every auth layer the request went through', async () => {
    const app = basicAuth({ verify: users, optional: true })(
      bearerAuth({ verify: () => undefined, realm: 'api' })(whoAsync),
    );
    const client = createClient(app);
    expectRejection(await client.get('/'), 401, [BASIC, 'Bearer realm="api"']);
    // Basic credentials satisfy the inner bearer layer: a principal is already there.
    const res = await client.get('/', {
      headers: { authorization: encodeBasicCredentials('bob', 'pw-bob') },
    });
    expect(res.json()).toEqual({ principal: { id: 'bob', scheme: 'basic', roles: [] } });
  });

  it('records the challenges in state.authChallenges and the principal in state.principal', async () => {
    let seen: unknown;
    const app = basicAuth({ verify: users })(
      validateAsync(async function peek(scope, receive, send) {
        if (scope.type !== 'http') return;
        await receive();
        seen = {
          challenges: (scope.state[AUTH_CHALLENGES_STATE_KEY] as { unauthorized: string }[]).map(
            (c) => c.unauthorized,
          ),
          principal: principalOf(scope),
          frozen: Object.isFrozen(principalOf(scope)),
        };
        await send({ type: 'http.response.start', status: 204, headers: [] });
        await send({ type: 'http.response.body', body: new Uint8Array(0) });
      }),
    );
    await createClient(app).get('/', { headers: { authorization: encodeBasicCredentials('bob', 'pw-bob') } });
    expect(seen).toEqual({
      challenges: [BASIC],
      principal: { id: 'bob', scheme: 'basic', roles: [] },
      frozen: true,
    });
  });

  it('passes lifespan through and refuses an unauthenticated websocket', async () => {
    const client = await expectLifespanPassesThrough(requireAuth());
    await expect(client.websocket('/ws')).rejects.toMatchObject({
      code: 'ERR_WEBSOCKET_CLOSED',
      value: { code: 1008 },
    });
  });

  it('checks its options and setPrincipal checks the principal', () => {
    expect(thrownCode(() => requireAuth({ roles: [''] }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => requireAuth({ mode: 'some' as never }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => requireAuth({ challenge: 'a\nb' }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => setPrincipal({ state: {} }, { id: 'x', scheme: 'y' } as never))).toBe(
      'ERR_MIDDLEWARE_MISUSE',
    );
    const environ = { 'portico.state': {} };
    setPrincipal(environ, { id: 'x', scheme: 'session', roles: [] });
    expect(principalOf(environ)).toEqual({ id: 'x', scheme: 'session', roles: [] });
  });
});
