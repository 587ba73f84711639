/** Adversarial review of errorHandler() and accessLog(): odd throwables, secrets, log injection. */
import { createLogger } from '@portico/server';
import { type AsyncApp, asyncApp, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { accessLog, errorHandler, renderDebugPage } from '../../src/diagnostics/index.js';
import { recordingLogger } from './apps.js';

/** Things an app can throw that are not Errors, by name. */
const THROWABLES: Record<string, () => unknown> = {
  string: () => 'secret string hunter2',
  undefined: () => undefined,
  null: () => null,
  number: () => 42,
  'null-prototype object': () => Object.assign(Object.create(null), { message: 'secret hunter2' }),
  'object whose toString throws': () => ({
    message: 'secret hunter2',
    toString() {
      throw new Error('toString exploded');
    },
  }),
  'Error whose cause has a throwing toString': () =>
    new Error('outer', {
      cause: {
        toString() {
          throw new Error('boom');
        },
      },
    }),
  symbol: () => Symbol('secret hunter2'),
  'Error with non-string name and message': () =>
    Object.assign(new Error('x'), { name: { toString: () => 'N' }, message: 7, stack: {} }),
};

function throwing(make: () => unknown): AsyncApp {
  return validateAsync(
    asyncApp(async function throwingApp() {
      throw make();
    }),
  );
}

describe('errorHandler() with throwables that are not Errors', () => {
  for (const [name, make] of Object.entries(THROWABLES)) {
    for (const debug of [false, true]) {
      it(`answers 500 for a thrown ${name} (debug: ${debug}), never leaking it in production`, async () => {
        const logger = recordingLogger();
        const client = createClient(errorHandler({ debug, logger })(throwing(make)));
        for (const accept of ['text/plain', 'text/html', 'application/json']) {
          const res = await client.get('/', { headers: { accept } });
          expect([name, accept, res.status]).toEqual([name, accept, 500]);
          if (!debug) expect(res.text()).not.toContain('hunter2');
          expect(Number(res.header('content-length'))).toBe(res.body.byteLength);
        }
        expect(logger.calls.some((c) => c.level === 'error')).toBe(true);
      });
    }
  }

  it('the default logger survives a throwable it cannot print', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (l: string) => lines.push(l) });
    const client = createClient(
      errorHandler({ debug: false, logger })(throwing(THROWABLES['object whose toString throws']!)),
    );
    expect((await client.get('/')).status).toBe(500);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain('app error');
  });
});

describe('errorHandler() debug page', () => {
  it('hides credentials: authorization, proxy-authorization and cookie values', () => {
    const page = renderDebugPage(
      500,
      new Error('x'),
      {
        method: 'GET',
        target: '/',
        headers: [
          ['authorization', 'Bearer tok-secret'],
          ['proxy-authorization', 'Basic cHJveHk='],
          ['cookie', 'sid=session-secret'],
          ['x-other', 'visible'],
        ],
      },
      'html',
    );
    expect(page.body).not.toContain('tok-secret');
    expect(page.body).not.toContain('cHJveHk=');
    expect(page.body).not.toContain('session-secret');
    expect(page.body).toContain('visible');
  });

  it('escapes every string in text and attribute contexts', () => {
    const evil = `"'><img src=x onerror=alert(1)>&`;
    const err = Object.assign(new Error(evil), { code: evil, name: evil });
    const page = renderDebugPage(500, err, { method: evil, target: evil, headers: [[evil, evil]] }, 'html');
    expect(page.body).not.toContain('<img');
    expect(page.body).not.toMatch(/"'>/);
  });
});

describe('accessLog() and hostile request lines', () => {
  it('escapes quotes, backslashes and control bytes in the target, referer and user agent', async () => {
    const lines: string[] = [];
    const app = validateAsync(
      asyncApp(async function okApp(_scope, _receive, send) {
        await send({ type: 'http.response.start', status: 200, headers: [] });
        await send({ type: 'http.response.body' });
      }),
    );
    const client = createClient(accessLog({ write: (l) => lines.push(l) })(app));
    await client.get('/a%22b?q=%0a', {
      headers: {
        referer: 'http://x/" 200 1 "-" "forged',
        'user-agent': 'agent\\" \x7f\x1b[31m',
      },
    });
    const line = lines[0] ?? '';
    expect(line).toContain('"GET /a%22b?q=%0a HTTP/1.1"');
    expect(line).toContain('"http://x/\\" 200 1 \\"-\\" \\"forged"');
    expect(line).toContain('"agent\\\\\\" \\x7f\\x1b[31m"');
    // Exactly the Combined Log Format's six quotes once the escaped ones are removed.
    expect(line.replace(/\\./g, '').match(/"/g)?.length).toBe(6);
  });
});
