import {
  type AsyncApp,
  asyncApp,
  isPorticoError,
  syncToAsync,
  validateAsync,
  validator,
} from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { builder, mount } from '../../src/compose/index.js';
import { leaves, tag, whereAsync, whereSync } from './apps.js';

interface Seen {
  rootPath?: string;
  path?: string;
  rawPath?: string;
  SCRIPT_NAME?: string;
  PATH_INFO?: string;
  REQUEST_URI?: string;
  trace: string[];
}

/** What the leaf should see, in its interface's terms. */
function expected(kind: 'async' | 'sync', root: string, path: string, raw: string, query = '') {
  return kind === 'async'
    ? { rootPath: root, path, rawPath: raw }
    : { SCRIPT_NAME: root, PATH_INFO: path, REQUEST_URI: raw + query };
}

// spec/middleware.md section 7.1: server --root-path /site, stack mount('/api', mount('/v1', usersApp)).
const table = [
  ['/site/api/v1/users/42?x=1', '/site/api/v1', '/users/42', '/site/api/v1/users/42', '?x=1'],
  ['/site/api/v1', '/site/api/v1', '', '/site/api/v1', ''],
  ['/site/api/v1/', '/site/api/v1', '/', '/site/api/v1/', ''],
  ['/site/api/v1/a%2Fb', '/site/api/v1', '/a/b', '/site/api/v1/a%2Fb', ''],
  ['/api/v1/users/42', '/site/api/v1', '/users/42', '/api/v1/users/42', ''],
] as const;

describe.each(leaves)('mount on a $kind app (spec/middleware.md 7.1)', ({ kind, where }) => {
  // Validators on every layer: the inner ones check MW-PATH-1/2, MW-SCOPE-1, MW-PASS-* of each mount.
  const nestedMount = validateAsync(mount('/api', validateAsync(mount('/v1', validator(where)))));
  const nestedBuilder = validateAsync(
    builder()
      .mount('/api', validateAsync(builder().mount('/v1', validator(where)).build()))
      .build(),
  );

  for (const [name, app] of [
    ['mount()', nestedMount],
    ['builder()', nestedBuilder],
  ] as const) {
    it.each(table)(`${name}: %s`, async (target, root, path, raw, query) => {
      const res = await createClient(app, { rootPath: '/site' }).get(target);
      expect(res.status).toBe(200);
      expect(res.json<Seen>()).toMatchObject(expected(kind, root, path, raw, query));
    });

    it(`${name}: matches at a segment boundary only (/site/api/v10/x is 404)`, async () => {
      const client = createClient(app, { rootPath: '/site' });
      expect((await client.get('/site/api/v10/x')).status).toBe(404);
      expect((await client.get('/site/apiary')).status).toBe(404);
    });
  }

  it('longest prefix first, whatever the order of mount() calls', async () => {
    const app = builder()
      .mount('/a', tag('short')(syncToAsync(whereSync)))
      .mount('/a/b', tag('long')(kind === 'async' ? whereAsync : syncToAsync(whereSync)))
      .build();
    const client = createClient(validateAsync(app));
    expect((await client.get('/a/b/c')).json<Seen>().trace).toEqual(['long']);
    expect((await client.get('/a/bc')).json<Seen>().trace).toEqual(['short']);
  });

  it('run() gets what no mount matched, with the scope unchanged; middleware wraps both', async () => {
    const app = builder((b) => b.use(tag('outer')).mount('/api', validator(where)).run(validator(where)));
    const client = createClient(validator(app));
    const other = await client.get('/elsewhere');
    expect(other.json<Seen>()).toMatchObject(expected(kind, '', '/elsewhere', '/elsewhere'));
    expect(other.json<Seen>().trace).toEqual(['outer']);
    const mounted = await client.get('/api/x');
    expect(mounted.json<Seen>()).toMatchObject(expected(kind, '/api', '/x', '/api/x'));
    expect(mounted.headerAll('x-layer')).toEqual(['outer']);
  });

  it('a prefix "/" mounts at the root: nothing moves', async () => {
    const res = await createClient(validateAsync(mount('/', where))).get('/x/y');
    expect(res.json<Seen>()).toMatchObject(expected(kind, '', '/x/y', '/x/y'));
  });
});

describe('builder: lifespan and unknown scope types', () => {
  const lifespanApp = (log: string[]): AsyncApp =>
    asyncApp(async function mainApp(scope, receive, send) {
      if (scope.type === 'lifespan') {
        await receive();
        log.push('startup');
        await send({ type: 'lifespan.startup.complete' });
        await receive();
        log.push('shutdown');
        await send({ type: 'lifespan.shutdown.complete' });
        return;
      }
      return whereAsync(scope, receive, send);
    });

  it('sends lifespan to the run() app only', async () => {
    const main: string[] = [];
    const mounted: string[] = [];
    const app = builder().mount('/api', lifespanApp(mounted)).run(lifespanApp(main)).build();
    const client = createClient(app);
    await client.startup();
    await client.shutdown();
    expect(main).toEqual(['startup', 'shutdown']);
    expect(mounted).toEqual([]);
  });

  it('without run(), refuses lifespan (the server goes on without it)', async () => {
    const app = builder().mount('/api', lifespanApp([])).build();
    const err = await createClient(app)
      .startup()
      .catch((e: unknown) => e);
    expect(isPorticoError(err, 'ERR_LIFESPAN')).toBe(true);
  });

  it('passes a scope type it does not know to run() unchanged (MW-PASS-1)', async () => {
    let seen: unknown;
    const future = { type: 'future.thing', path: '/api/x', rootPath: '', spec: { version: '1.0' } };
    const run = asyncApp(async function runApp(scope) {
      seen = scope;
    });
    await builder().mount('/api', whereAsync).run(run).build()(
      future as never,
      async () => ({}) as never,
      async () => {},
    );
    expect(seen).toBe(future);
  });
});

describe('mount and builder: misuse', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return 'no error';
  };
  it('refuses bad prefixes and a prefix mounted twice (ERR_INVALID_OPTION)', () => {
    expect(code(() => mount('api', whereAsync))).toBe('ERR_INVALID_OPTION');
    expect(code(() => mount('/a//b', whereAsync))).toBe('ERR_INVALID_OPTION');
    expect(code(() => mount('/a/../b', whereAsync))).toBe('ERR_INVALID_OPTION');
    expect(code(() => builder().mount('/a', whereAsync).mount('/a/', whereAsync))).toBe('ERR_INVALID_OPTION');
  });
  it('refuses what is not an app and a factory not called (ERR_MIDDLEWARE_MISUSE)', () => {
    expect(code(() => mount('/a', {} as never))).toBe('ERR_MIDDLEWARE_MISUSE');
    expect(code(() => builder().run(42 as never))).toBe('ERR_MIDDLEWARE_MISUSE');
    expect(code(() => builder().use('x' as never))).toBe('ERR_MIDDLEWARE_MISUSE');
    expect(
      code(() =>
        builder()
          .use(tag as never)
          .run(whereAsync)
          .build(),
      ),
    ).toBe('ERR_MIDDLEWARE_MISUSE');
    expect(code(() => builder().run(whereAsync).run(whereAsync))).toBe('ERR_MIDDLEWARE_MISUSE');
  });
  it('use(factory, options) calls the factory', async () => {
    const app = builder().use(tag, 'opt').run(whereAsync).build();
    expect((await createClient(app).get('/')).headerAll('x-layer')).toEqual(['opt']);
  });
});
