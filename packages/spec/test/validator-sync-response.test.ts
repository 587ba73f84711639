/**
 * The sync validator's checks of startResponse, the status and the headers (spec/sync.md
 * "startResponse", "Status", "Response headers").
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { StartResponse, SyncApp, WriteCallable } from '../src/sync-types.js';
import { checkSyncApp } from '../src/validator/sync.js';
import {
  bytes,
  checked,
  collecting,
  makeEnviron,
  serve,
  text,
  violationOf,
} from './helpers/validator-sync-server.js';

type Headers = [string, string][];

/** An app that starts with `status` and `headers` and sends "ok". */
const respond =
  (status: unknown, headers: unknown): SyncApp =>
  (_environ, startResponse) => {
    (startResponse as (s: unknown, h: unknown) => WriteCallable)(status, headers);
    return [bytes('ok')];
  };

const ruleOf = (app: SyncApp) => violationOf(() => serve(checked(app)));

describe('startResponse (app side)', () => {
  test('SYNC-START-1: more than three arguments', () => {
    const err = ruleOf((_e, startResponse) => {
      (startResponse as (...args: unknown[]) => WriteCallable)('200 OK', [], undefined, 'x');
      return [];
    });
    expect(err.rule).toBe('SYNC-START-1');
    expect(err.side).toBe('app');
  });

  test('SYNC-START-1: a call without headers', () => {
    const err = ruleOf((_e, startResponse) => {
      (startResponse as (...args: unknown[]) => WriteCallable)('200 OK');
      return [];
    });
    expect(err.rule).toBe('SYNC-START-1');
  });

  test('SYNC-START-2: a second call without excInfo', () => {
    const err = ruleOf((_e, startResponse) => {
      startResponse('200 OK', []);
      startResponse('500 Oops', []);
      return [];
    });
    expect(err.rule).toBe('SYNC-START-2');
  });

  test('SYNC-START-2: a second call with excInfo null counts as without', () => {
    const err = ruleOf((_e, startResponse) => {
      startResponse('200 OK', []);
      startResponse('500 Oops', [], null);
      return [];
    });
    expect(err.rule).toBe('SYNC-START-2');
  });

  test('SYNC-START-4: a body that yields before startResponse', () => {
    const err = ruleOf(() => [bytes('early')]);
    expect(err.rule).toBe('SYNC-START-4');
  });

  test('SYNC-START-4: a body that ends without startResponse ever being called', () => {
    const err = ruleOf(() => []);
    expect(err.rule).toBe('SYNC-START-4');
  });

  test('SYNC-START-4: startResponse may be called from the first iteration', () => {
    const { report, violations } = collecting();
    const app: SyncApp = function* lazy(_e, startResponse) {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      yield bytes('late start');
    };
    expect(text(serve(checkSyncApp(app, report)).body)).toBe('late start');
    expect(violations).toEqual([]);
  });

  test('SYNC-START-5: an app that catches the rethrown excInfo and returns a body anyway', () => {
    const err = ruleOf(function* app(_e, startResponse) {
      startResponse('200 OK', []);
      yield bytes('partial');
      try {
        startResponse('500 Oops', [], new Error('boom'));
      } catch {
        // swallowed: not allowed
      }
      yield bytes('more');
    });
    expect(err.rule).toBe('SYNC-START-5');
  });

  test('SYNC-START-5: an app call that catches the rethrow and returns normally', () => {
    const err = ruleOf((_e, startResponse) => {
      const write = startResponse('200 OK', []);
      write(bytes('sent'));
      try {
        startResponse('500 Oops', [], new Error('boom'));
      } catch {
        // swallowed
      }
      return [];
    });
    expect(err.rule).toBe('SYNC-START-5');
  });
});

describe('startResponse (server side)', () => {
  const server = (startResponse: StartResponse, app: SyncApp) => checked(app)(makeEnviron(), startResponse);

  test('SYNC-START-6: startResponse must return a write() callable', () => {
    const err = violationOf(() =>
      server((() => undefined) as unknown as StartResponse, (_e, startResponse) => {
        startResponse('200 OK', []);
        return [];
      }),
    );
    expect(err.rule).toBe('SYNC-START-6');
    expect(err.side).toBe('server');
  });

  test('SYNC-START-7: a call with excInfo before any body must replace the headers', () => {
    let calls = 0;
    const strict = (() => {
      calls++;
      if (calls > 1) throw new Error('headers already set');
      return () => {};
    }) as StartResponse;
    const err = violationOf(() =>
      server(strict, (_e, startResponse) => {
        startResponse('200 OK', []);
        startResponse('500 Internal Server Error', [['Content-Type', 'text/plain']], new Error('boom'));
        return [bytes('error page')];
      }),
    );
    expect(err.rule).toBe('SYNC-START-7');
  });

  test('SYNC-START-8: once headers went out, a call with excInfo must throw excInfo', () => {
    const lenient = (() => () => {}) as StartResponse;
    const body = server(lenient, function* app(_e, startResponse) {
      startResponse('200 OK', []);
      yield bytes('partial');
      startResponse('500 Oops', [], new Error('boom'));
      yield bytes('error page');
    });
    const iterator = body[Symbol.iterator]();
    iterator.next();
    const err = violationOf(() => iterator.next());
    expect(err.rule).toBe('SYNC-START-8');
    expect(err.side).toBe('server');
    body.close?.();
  });

  test('SYNC-START-8: throwing something other than excInfo is reported', () => {
    const other = (() => {
      let n = 0;
      return (() => {
        if (++n > 1) throw new Error('not the excInfo');
        return () => {};
      }) as StartResponse;
    })();
    const err = violationOf(() =>
      server(other, (_e, startResponse) => {
        const write = startResponse('200 OK', []);
        write(bytes('x'));
        startResponse('500 Oops', [], new Error('boom'));
        return [];
      }),
    );
    expect(err.rule).toBe('SYNC-START-8');
  });

  test('a correct server rethrows excInfo itself and the app lets it propagate', () => {
    const { report, violations } = collecting();
    const boom = new Error('boom');
    const app = checkSyncApp(function* app(_e, startResponse) {
      startResponse('200 OK', []);
      yield bytes('partial');
      startResponse('500 Oops', [], boom);
    }, report);
    expect(() => serve(app)).toThrow(boom);
    expect(violations).toEqual([]);
  });

  test('a correct server lets the app replace its headers with excInfo before the body', () => {
    const { report, violations } = collecting();
    const app = checkSyncApp((_e, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/html']]);
      startResponse('500 Internal Server Error', [['Content-Type', 'text/plain']], new Error('boom'));
      return [bytes('error page')];
    }, report);
    const response = serve(app);
    expect(response.status).toBe('500 Internal Server Error');
    expect(text(response.body)).toBe('error page');
    expect(violations).toEqual([]);
  });
});

describe('status (SYNC-START-3)', () => {
  test.each([
    '200',
    '200OK',
    ' 200 OK',
    '099 Old',
    '600 Beyond',
    '101 Switching Protocols',
    '2000 OK',
    '200 O\nK',
    200,
  ])('status %j is reported', (status) => {
    const err = ruleOf(respond(status, []));
    expect(err.rule).toBe('SYNC-START-3');
    expect(err.side).toBe('app');
  });

  test('every "NNN reason" with NNN in 200..599 and a printable Latin-1 reason passes', () => {
    const reasonChar = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }),
      fc.integer({ min: 0x80, max: 0xff }),
      fc.constant(0x09),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 599 }),
        fc.array(reasonChar, { maxLength: 30 }),
        (code, reason) => {
          const { report, violations } = collecting();
          serve(checkSyncApp(respond(`${code} ${String.fromCharCode(...reason)}`, []), report));
          return violations.length === 0;
        },
      ),
    );
  });

  test('any status outside the grammar is reported', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 12 }), (status) => {
        fc.pre(!/^[2-5][0-9]{2} [\t\x20-\x7e\x80-\xff]*$/.test(status));
        const { report, rules } = collecting();
        serve(checkSyncApp(respond(status, []), report));
        return rules().includes('SYNC-START-3');
      }),
    );
  });
});

describe('headers (SYNC-HDR-*)', () => {
  test.each([
    [{ 'Content-Type': 'text/plain' }],
    [[['Content-Type']]],
    [[['Content-Type', 'text/plain', 'extra']]],
    [[['Content-Length', 5]]],
    [[{ name: 'a', value: 'b' }]],
  ])('SYNC-HDR-1: headers %j are reported', (headers) => {
    expect(ruleOf(respond('200 OK', headers)).rule).toBe('SYNC-HDR-1');
  });

  test.each(['', 'X Header', 'X:Header', 'Ümlaut', 'X-Header\r\n', 'Status', 'status'])(
    'SYNC-HDR-2: name %j is reported',
    (name) => {
      expect(ruleOf(respond('200 OK', [[name, 'v']])).rule).toBe('SYNC-HDR-2');
    },
  );

  test('SYNC-HDR-3: a value with a code point over U+00FF is reported', () => {
    const err = ruleOf(respond('200 OK', [['Content-Disposition', 'attachment; filename="€.txt"']]));
    expect(err.rule).toBe('SYNC-HDR-3');
    expect(err.value).toBe('attachment; filename="€.txt"');
  });

  test('SYNC-HDR-3: any non-Latin-1 character anywhere in a value is reported', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
        fc.integer({ min: 0x100, max: 0xd7ff }),
        fc.nat(),
        (value, code, at) => {
          const i = at % (value.length + 1);
          const bad = value.slice(0, i) + String.fromCharCode(code) + value.slice(i);
          const { report, rules } = collecting();
          serve(checkSyncApp(respond('200 OK', [['X-Value', bad]]), report));
          return rules().includes('SYNC-HDR-3');
        },
      ),
    );
  });

  test.each(['a\r\nSet-Cookie: x=1', 'a\nb', 'a\rb', 'nul\0', 'bell\x07', 'del\x7f'])(
    'SYNC-HDR-4: value %j (a control character) is reported',
    (value) => {
      expect(ruleOf(respond('200 OK', [['X-Value', value]])).rule).toBe('SYNC-HDR-4');
    },
  );

  test('SYNC-HDR-4: CR, LF or NUL anywhere in a value is reported; printable Latin-1 with HTAB passes', () => {
    const printable = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }),
      fc.integer({ min: 0x80, max: 0xff }),
      fc.constant(0x09),
    );
    fc.assert(
      fc.property(fc.array(printable), fc.constantFrom('\r', '\n', '\0'), fc.nat(), (codes, ctl, at) => {
        const value = String.fromCharCode(...codes);
        const clean = collecting();
        serve(checkSyncApp(respond('200 OK', [['X-Value', value]]), clean.report));
        const i = at % (value.length + 1);
        const dirty = collecting();
        serve(
          checkSyncApp(
            respond('200 OK', [['X-Value', value.slice(0, i) + ctl + value.slice(i)]]),
            dirty.report,
          ),
        );
        return clean.violations.length === 0 && dirty.rules().includes('SYNC-HDR-4');
      }),
    );
  });

  test.each([
    'Connection',
    'keep-alive',
    'Proxy-Authenticate',
    'Proxy-Authorization',
    'TE',
    'Trailers',
    'Transfer-Encoding',
    'Upgrade',
  ])('SYNC-HDR-5: hop-by-hop header %s is reported', (name) => {
    expect(ruleOf(respond('200 OK', [[name, 'x']])).rule).toBe('SYNC-HDR-5');
  });

  test.each([
    [[['Content-Length', '5 ']]],
    [[['Content-Length', '-2']]],
    [
      [
        ['Content-Length', '2'],
        ['content-length', '2'],
      ],
    ],
  ])('SYNC-HDR-6: Content-Length %j is reported', (headers) => {
    expect(ruleOf(respond('200 OK', headers as Headers)).rule).toBe('SYNC-HDR-6');
  });

  test('duplicates, any case, and Latin-1 values pass', () => {
    const { report, violations } = collecting();
    const headers: Headers = [
      ['set-cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['X-Latin1', 'caf\xe9\tok'],
      ['Content-Length', '2'],
    ];
    const response = serve(checkSyncApp(respond('200 OK', headers), report));
    expect(response.headers).toEqual(headers);
    expect(violations).toEqual([]);
  });
});
