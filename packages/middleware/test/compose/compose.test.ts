import { type AsyncApp, isPorticoError, type SyncApp, syncToAsync, validator } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { compose } from '../../src/compose/index.js';
import { tag, tagSync, whereAsync, whereSync } from './apps.js';

function misuse(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isPorticoError(err, 'ERR_MIDDLEWARE_MISUSE')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('did not throw');
}

describe('compose: order, outermost first', () => {
  it.each([
    ['async', whereAsync],
    ['sync (bridged)', syncToAsync(whereSync)],
  ] as const)('on an %s app: the first sees the request first and the response last', async (_, leaf) => {
    const app = compose(tag('a'), tag('b'), tag('c'))(validator(leaf as AsyncApp));
    const res = await createClient(validator(app)).get('/x');
    expect(res.status).toBe(200);
    expect(res.json<{ trace: string[] }>().trace).toEqual(['a', 'b', 'c']);
    // c appended its header first (it sees the response first), a last.
    expect(res.headerAll('x-layer')).toEqual(['c', 'b', 'a']);
  });

  it('composes sync middleware around a sync app, same order', async () => {
    const app = compose<SyncApp>(tagSync('a'), tagSync('b'))(validator(whereSync));
    const res = await createClient(validator(app)).get('/x');
    expect(res.json<{ trace: string[] }>().trace).toEqual(['a', 'b']);
    expect(res.headerAll('x-layer')).toEqual(['b', 'a']);
  });

  it('with no middleware gives the app back; builds once, not per request', async () => {
    expect(compose()(whereAsync)).toBe(whereAsync);
    let built = 0;
    const counting = (app: AsyncApp): AsyncApp => {
      built++;
      return tag('n')(app);
    };
    const client = createClient(compose(counting)(whereAsync));
    await client.get('/');
    await client.get('/');
    expect(built).toBe(1);
  });
});

describe('compose: misuse', () => {
  it('throws ERR_MIDDLEWARE_MISUSE for an argument that is not a function, naming its position', () => {
    expect(misuse(() => compose(tag('a'), 42 as never))).toContain('middleware #2');
  });

  it('throws when the app is not a function, or not an app', () => {
    expect(misuse(() => compose(tag('a'))('nope' as never))).toContain('got string');
    expect(misuse(() => compose(tag('a'))(((x: unknown) => x) as never))).toContain('declares 1 parameter');
  });

  it('names a factory that was not called: use(cors) instead of use(cors())', () => {
    function cors(_options: { origin?: string } = {}) {
      return tag('cors');
    }
    const message = misuse(() => compose(cors as never)(whereAsync));
    expect(message).toContain('cors');
    expect(message).toContain('use(cors())');
  });

  it('throws naming the middleware when it returns something that is not an app', () => {
    function broken(_app: AsyncApp): AsyncApp {
      return undefined as never;
    }
    expect(misuse(() => compose(broken)(whereAsync))).toContain('middleware broken');
  });
});
