/**
 * The sync validator's checks of portico.input and portico.errors (spec/sync.md "The input stream",
 * "The error stream"): the app's arguments (app side) and the server's answers (server side).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Environ, InputStream, SyncApp } from '../src/sync-types.js';
import { checkSyncApp } from '../src/validator/sync.js';
import {
  BytesInput,
  bytes,
  checked,
  collecting,
  hello,
  MemoryErrors,
  makeEnviron,
  serve,
  text,
  violationOf,
} from './helpers/validator-sync-server.js';

/** Runs `use` on the checked environ inside an app, with `input` as the server's portico.input. */
function withInput(input: InputStream, contentLength: string | undefined, use: (environ: Environ) => void) {
  const app: SyncApp = (environ, startResponse) => {
    use(environ);
    return hello(environ, startResponse);
  };
  return () => serve(checked(app), makeEnviron({ 'portico.input': input, CONTENT_LENGTH: contentLength }));
}

const body = bytes('line one\nline two\nlast');

/** An input stream whose methods answer what `answers` says. */
function fakeInput(
  answers: Partial<Record<'read' | 'readline' | 'readlines', (n?: number) => unknown>>,
): InputStream {
  const real = new BytesInput(body);
  return {
    read: (n?: number) => (answers.read ? answers.read(n) : real.read(n)) as Uint8Array,
    readline: (n?: number) => (answers.readline ? answers.readline(n) : real.readline(n)) as Uint8Array,
    readlines: (n?: number) => (answers.readlines ? answers.readlines(n) : real.readlines(n)) as Uint8Array[],
    [Symbol.iterator]: () => real[Symbol.iterator](),
  };
}

describe('portico.input: valid use', () => {
  test('read, readline, readlines and iteration over a correct stream pass', () => {
    const { report, violations } = collecting();
    const seen: string[] = [];
    const app = checkSyncApp((environ, startResponse) => {
      const input = environ['portico.input'];
      seen.push(text(input.read(2)), text(input.readline()), text(input.readline(3)));
      seen.push(...[...input].map(text), text(input.read()), text(input.read(10)));
      return hello(environ, startResponse);
    }, report);
    serve(
      app,
      makeEnviron({ 'portico.input': new BytesInput(body), CONTENT_LENGTH: String(body.byteLength) }),
    );
    expect(seen).toEqual(['li', 'ne one\n', 'lin', 'e two\n', 'last', '', '']);
    expect(violations).toEqual([]);
  });

  test('any sequence of reads over any body passes and returns the body (property)', () => {
    const op = fc.oneof(
      fc.record({
        m: fc.constant('read' as const),
        n: fc.option(fc.integer({ min: -1, max: 40 }), { nil: undefined }),
      }),
      fc.record({
        m: fc.constant('readline' as const),
        n: fc.option(fc.integer({ min: -1, max: 40 }), { nil: undefined }),
      }),
      fc.record({
        m: fc.constant('readlines' as const),
        n: fc.option(fc.integer({ min: -1, max: 40 }), { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(op, { maxLength: 12 }),
        fc.boolean(),
        (data, ops, declare) => {
          const { report, violations } = collecting();
          const got: Uint8Array[] = [];
          const app = checkSyncApp((environ, startResponse) => {
            const input = environ['portico.input'];
            for (const { m, n } of ops) {
              if (m === 'readlines') got.push(...input.readlines(n));
              else got.push(input[m](n));
            }
            got.push(input.read());
            return hello(environ, startResponse);
          }, report);
          serve(
            app,
            makeEnviron({
              'portico.input': new BytesInput(data),
              CONTENT_LENGTH: declare ? String(data.byteLength) : undefined,
            }),
          );
          return violations.length === 0 && Buffer.concat(got).equals(Buffer.from(data));
        },
      ),
    );
  });
});

describe('portico.input: the app side', () => {
  test.each<[string, (input: InputStream) => unknown]>([
    ['read("10")', (i) => i.read('10' as unknown as number)],
    ['read(1.5)', (i) => i.read(1.5)],
    ['read(1, 2)', (i) => (i.read as (...a: unknown[]) => unknown)(1, 2)],
    ['readline(NaN)', (i) => i.readline(Number.NaN)],
    ['readlines(null)', (i) => i.readlines(null as unknown as number)],
  ])('SYNC-INPUT-1: %s is reported', (_name, call) => {
    const err = violationOf(
      withInput(new BytesInput(body), undefined, (environ) => call(environ['portico.input'])),
    );
    expect(err.rule).toBe('SYNC-INPUT-1');
    expect(err.side).toBe('app');
  });
});

describe('portico.input: the server side', () => {
  test.each<[string, Parameters<typeof fakeInput>[0], (input: InputStream) => unknown]>([
    ['read() returning a string', { read: () => 'text' }, (i) => i.read()],
    ['read(2) returning 3 bytes', { read: () => bytes('abc') }, (i) => i.read(2)],
    ['readline() returning two lines', { readline: () => bytes('a\nb\n') }, (i) => i.readline()],
    ['readline(2) returning 3 bytes', { readline: () => bytes('abc') }, (i) => i.readline(2)],
    ['readlines() returning a Buffer', { readlines: () => bytes('a\n') }, (i) => i.readlines()],
    ['readlines() with a string line', { readlines: () => ['a\n'] }, (i) => i.readlines()],
  ])('SYNC-INPUT-3: %s is reported', (_name, answers, call) => {
    const err = violationOf(
      withInput(fakeInput(answers), undefined, (environ) => call(environ['portico.input'])),
    );
    expect(err.rule).toBe('SYNC-INPUT-3');
    expect(err.side).toBe('server');
  });

  test('SYNC-INPUT-3: iteration yielding an empty line is reported', () => {
    const input: InputStream = {
      ...fakeInput({}),
      [Symbol.iterator]: () => [new Uint8Array(0)][Symbol.iterator](),
    };
    const err = violationOf(withInput(input, undefined, (environ) => [...environ['portico.input']]));
    expect(err.rule).toBe('SYNC-INPUT-3');
  });

  test('SYNC-INPUT-2: data after an empty read (EOF) is reported', () => {
    let n = 0;
    const input = fakeInput({ read: () => (n++ === 0 ? new Uint8Array(0) : bytes('late')) });
    const err = violationOf(
      withInput(input, undefined, (environ) => {
        environ['portico.input'].read(10);
        environ['portico.input'].read(10);
      }),
    );
    expect(err.rule).toBe('SYNC-INPUT-2');
  });

  test('SYNC-INPUT-2: data after read() without a size (the rest) is reported', () => {
    const input = fakeInput({ readline: () => bytes('more\n') });
    const err = violationOf(
      withInput(input, undefined, (environ) => {
        environ['portico.input'].read();
        environ['portico.input'].readline();
      }),
    );
    expect(err.rule).toBe('SYNC-INPUT-2');
  });

  test('read(0) and readline(0) answering empty are not an end of body', () => {
    const { report, violations } = collecting();
    const app = checkSyncApp((environ, startResponse) => {
      const input = environ['portico.input'];
      input.read(0);
      input.readline(0);
      expect(text(input.read())).toBe('line one\nline two\nlast');
      return hello(environ, startResponse);
    }, report);
    serve(
      app,
      makeEnviron({ 'portico.input': new BytesInput(body), CONTENT_LENGTH: String(body.byteLength) }),
    );
    expect(violations).toEqual([]);
  });

  test('SYNC-INPUT-4: more bytes than CONTENT_LENGTH is reported', () => {
    const err = violationOf(
      withInput(new BytesInput(body), '4', (environ) => environ['portico.input'].read()),
    );
    expect(err.rule).toBe('SYNC-INPUT-4');
    expect(err.value).toEqual({ declared: 4, total: body.byteLength });
  });

  test('SYNC-INPUT-4: an end of body before CONTENT_LENGTH bytes (a cut body) is reported', () => {
    const err = violationOf(
      withInput(new BytesInput(bytes('abc')), '10', (environ) => {
        const input = environ['portico.input'];
        while (input.read(2).byteLength > 0);
      }),
    );
    expect(err.rule).toBe('SYNC-INPUT-4');
    expect(err.value).toEqual({ declared: 10, total: 3 });
  });
});

describe('portico.errors (SYNC-ERRORS-1)', () => {
  const withErrors = (use: (errors: Environ['portico.errors']) => void) => {
    const errors = new MemoryErrors();
    const app: SyncApp = (environ, startResponse) => {
      use(environ['portico.errors']);
      return hello(environ, startResponse);
    };
    return { run: () => serve(checked(app), makeEnviron({ 'portico.errors': errors })), errors };
  };

  test('strings pass through', () => {
    const { run, errors } = withErrors((e) => {
      e.write('one\n');
      e.writelines(['two\n', 'three\n']);
      e.flush();
    });
    run();
    expect(errors.text).toBe('one\ntwo\nthree\n');
  });

  test.each<[string, (e: Environ['portico.errors']) => void]>([
    ['write(bytes)', (e) => e.write(bytes('x') as unknown as string)],
    ['write(a, b)', (e) => (e.write as (...a: unknown[]) => void)('a', 'b')],
    ['writelines("abc")', (e) => e.writelines('abc')],
    ['writelines([1])', (e) => e.writelines([1] as unknown as string[])],
    ['flush(true)', (e) => (e.flush as (...a: unknown[]) => void)(true)],
  ])('%s is reported', (_name, use) => {
    const err = violationOf(withErrors(use).run);
    expect(err.rule).toBe('SYNC-ERRORS-1');
    expect(err.side).toBe('app');
  });
});
