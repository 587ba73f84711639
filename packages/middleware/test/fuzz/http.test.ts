/**
 * Hostile requests through the whole standard stack behind the real HTTP adapter (raw node:http
 * requests): each is answered in time, without a 5xx, a violation, an error logged by the server
 * or a body on HEAD / 304, with one access log line.
 */
import { request } from 'node:http';
// @portico/http is not a dependency of @portico/middleware: reached by path, as adapters/*/test do.
import { type HTTPServer, serve } from '@portico/http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../server/test/memory-logger.js';
import { fuzzBudget } from '../../../spec/test/helpers/fuzz-budget.js';
import { type FuzzRequest, fuzzRequest } from './arbitraries.js';
import { responseProblems, watchProcess, within } from './check.js';
import { buildStack } from './stack.js';

/** `FUZZ_HTTP_RUNS` (default 100) is the number of runs. */
const budget = fuzzBudget('FUZZ_HTTP_RUNS', 100);

const stack = buildStack();
const logger = memoryLogger();
const watch = watchProcess();
let server: HTTPServer;
let port: number;
beforeAll(async () => {
  server = await serve(stack.app, { bind: ['127.0.0.1:0'], lifespan: 'off', logger });
  port = Number(new URL(server.addresses[0] as string).port);
});
afterAll(async () => {
  await server.close();
  watch.stop();
  stack.cleanup();
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** Sends `req` with node:http; resolves null when node's client refuses to send it. */
function send(req: FuzzRequest, id: string): Promise<Answer | null> {
  return new Promise((resolve, reject) => {
    let r: ReturnType<typeof request>;
    try {
      const headers: [string, string][] = [['host', 'example.com']];
      for (const [n, raw] of req.headers) {
        // node's client refuses other control characters in a value (so would its server).
        const v = raw.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');
        if (n === 'host') headers[0] = [n, v];
        else headers.push([n, v]);
      }
      headers.push(['x-fuzz-id', id], ['connection', 'close']);
      // chunks > 0: no content-length, node sends the body chunked, in that many writes.
      if (req.body !== undefined && req.chunks === 0)
        headers.push(['content-length', String(req.body.length)]);
      r = request({
        host: '127.0.0.1',
        port,
        method: req.method.toUpperCase(),
        path: req.target,
        headers: headers.flat(),
      });
    } catch {
      resolve(null); // ERR_INVALID_CHAR, ERR_UNESCAPED_CHARACTERS, ERR_INVALID_HTTP_TOKEN
      return;
    }
    r.on('error', reject);
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    if (body !== undefined && req.chunks > 0) {
      const size = Math.ceil(body.length / req.chunks) || 1;
      for (let i = 0; i < body.length; i += size) r.write(body.subarray(i, i + size));
      r.end();
    } else r.end(body);
  });
}

let next = 0;
let refused = 0;

async function problemsOf(req: FuzzRequest): Promise<string[] | null> {
  const id = `h${next++}`;
  const lines = stack.log.length;
  const violations = stack.violations.length;
  const errorsLogged = logger.records.filter((r) => r.level === 'error').length;
  const res = await within(send(req, id), 5000, 'request');
  if (res === null) {
    refused++;
    return null;
  }
  const rec = stack.recorded.get(id);
  // The server answers a request its parser refused (400) without calling the app.
  if (rec === undefined) return res.status === 400 ? [] : [`the app never saw a ${res.status} request`];
  await within(
    (async () => {
      while (!rec.settled) await new Promise((r) => setTimeout(r, 1));
    })(),
    5000,
    'the app settling',
  );
  const raw = res.headers['set-cookie'] ?? [];
  const out = responseProblems({
    status: res.status,
    body: () => res.body.toString('latin1'),
    violations: stack.violations.slice(violations),
    logLines: stack.log.length - lines,
    setCookie: Array.isArray(raw) ? raw : [raw],
    processErrors: watch.errors,
  });
  if (rec.method === 'HEAD' && (rec.bodyBytes !== 0 || res.body.length !== 0))
    out.push('HEAD response with a body');
  if (res.status === 304 && res.body.length !== 0) out.push('304 with a body');
  for (const r of logger.records.filter((r) => r.level === 'error').slice(errorsLogged))
    out.push(`server logged: ${r.message}`);
  stack.recorded.delete(id);
  return out;
}

describe('the standard stack under hostile requests (over @portico/http)', () => {
  it(
    'answers each with a sound response',
    async () => {
      await fc.assert(
        fc.asyncProperty(fuzzRequest, async (req) => {
          const problems = await problemsOf(req);
          if (problems === null) return;
          expect(problems).toEqual([]);
        }),
        { numRuns: budget.runs() },
      );
      expect(refused).toBeLessThan(next / 4);
    },
    budget.limit,
  );

  it('serves a file with one log line', async () => {
    const res = await within(
      send(
        {
          method: 'GET',
          target: '/files/hello.txt',
          headers: [['accept-encoding', 'identity']],
          body: undefined,
          chunks: 0,
          httpVersion: '1.1',
          prime: false,
        },
        'plain',
      ),
      5000,
      'request',
    );
    const rec = stack.recorded.get('plain');
    while (rec !== undefined && !rec.settled) await new Promise((r) => setTimeout(r, 1));
    expect(res?.status).toBe(200);
    expect(res?.body.toString()).toBe('Hello, world\n');
    expect(stack.log.at(-1)).toMatch(/"GET \/files\/hello.txt HTTP\/1.1" 200 13/);
  });
});
