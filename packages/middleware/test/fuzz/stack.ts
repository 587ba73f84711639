/**
 * The whole standard middleware stack, built once per test file, for the fuzz properties: every
 * layer sits between two validators (so a middleware breaking a rule towards its app or its server
 * is caught), an access log writing to an array, and a recorder outside everything that keeps what
 * the stack really sent (the test client drops HEAD bodies; the recorder does not).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, type AsyncApp, asyncApp, type PorticoError, validateAsync } from '@portico/spec';
import { builder } from '../../src/compose/index.js';
import {
  accessLog,
  basicAuth,
  basicUsers,
  bodyLimit,
  COOKIES_STATE_KEY,
  CSRF_STATE_KEY,
  type CsrfState,
  compression,
  conditionalGet,
  contentLength,
  cookieSession,
  cookies,
  cors,
  csrf,
  errorHandler,
  etag,
  head,
  jwtAuth,
  MemoryStore,
  methodOverride,
  proxyHeaders,
  type RequestCookies,
  requestId,
  requestTimeout,
  requireAuth,
  routeParams,
  router,
  securityHeaders,
  session,
  sessionOf,
  staticFiles,
  trustedHost,
} from '../../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The HS256 key the `/bearer` branch verifies with, its issuer and audience. */
export const JWT_KEY = enc.encode('portico-fuzz-jwt-key-0123456789abcdef');
export const JWT_ISSUER = 'https://issuer.example';
export const JWT_AUDIENCE = 'portico-fuzz';

/** The `/basic` branch's one user. */
export const BASIC_USER = ['alice', 'wonderland'] as const;

/** What the recorder saw of one response: the head and the body bytes the stack sent. */
export interface Recorded {
  readonly method: string;
  status: number;
  headers: readonly (readonly [string, string])[];
  bodyBytes: number;
  /** The stack's promise settled (resolved or rejected). */
  settled: boolean;
  error: unknown;
}

/** The built stack with what it collected. */
export interface Stack {
  /** The outermost app (recorder, then errorHandler ... the leaves). */
  readonly app: AsyncApp;
  /** Every access log line, in order. */
  readonly log: string[];
  /** Every validator violation seen at any layer. */
  readonly violations: PorticoError[];
  /** What the stack sent, by the value of the request's `x-fuzz-id` header. */
  readonly recorded: Map<string, Recorded>;
  /** The static files root (hello.txt, data.bin, docs/index.html). */
  readonly root: string;
  cleanup(): void;
}

async function readBody(receive: Parameters<AsyncApp>[1]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const e = await receive();
    if (e.type !== 'http.request') break;
    chunks.push(e.body);
    if (!e.moreBody) break;
  }
  return Buffer.concat(chunks);
}

async function sendText(
  send: Parameters<AsyncApp>[2],
  status: number,
  text: string,
  type = 'text/plain',
): Promise<void> {
  const body = enc.encode(text);
  await send({
    type: 'http.response.start',
    status,
    headers: [
      ['content-type', `${type}; charset=utf-8`],
      ['content-length', String(body.length)],
    ],
  });
  await send({ type: 'http.response.body', body });
}

/** The router at the bottom of each branch: params, a wildcard, a form, a stream, the CSRF token. */
function leafRouter(): AsyncApp {
  return router()
    .get(
      '/',
      asyncApp(async function homeApp(scope, _receive, send) {
        if (scope.type !== 'http') return;
        (scope.state[COOKIES_STATE_KEY] as RequestCookies).set('seen', '1', { path: '/', httpOnly: true });
        await sendText(send, 200, 'home');
      }),
    )
    .get(
      '/items/:id',
      asyncApp(async function itemApp(scope, _receive, send) {
        if (scope.type !== 'http') return;
        await sendText(send, 200, JSON.stringify(routeParams(scope)), 'application/json');
      }),
    )
    .get(
      '/wild/*rest',
      asyncApp(async function wildApp(scope, _receive, send) {
        if (scope.type !== 'http') return;
        await sendText(send, 200, JSON.stringify(routeParams(scope)), 'application/json');
      }),
    )
    .get(
      '/csrf',
      asyncApp(async function csrfTokenApp(scope, _receive, send) {
        if (scope.type !== 'http') return;
        const info = scope.state[CSRF_STATE_KEY] as CsrfState;
        await sendText(send, 200, info.token);
      }),
    )
    .post(
      '/form',
      asyncApp(async function formApp(scope, receive, send) {
        if (scope.type !== 'http') return;
        const body = await readBody(receive);
        const fields = new URLSearchParams(dec.decode(body));
        const s = sessionOf(scope);
        s.set('last', fields.get('name') ?? '');
        await sendText(send, 200, JSON.stringify([...fields]), 'application/json');
      }),
    )
    .get(
      '/stream',
      asyncApp(async function streamApp(scope, _receive, send) {
        if (scope.type !== 'http') return;
        await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
        for (let i = 0; i < 3; i++) {
          await send({
            type: 'http.response.body',
            body: enc.encode(`chunk ${i}\n`.repeat(50)),
            moreBody: true,
          });
        }
        await send({ type: 'http.response.body', moreBody: false });
      }),
    );
}

type Layer = (app: App) => AsyncApp;

/** Applies `layers` (outermost first) with a validator on both sides of each. */
function stackUp(layers: readonly Layer[], leaf: App, onViolation: (err: PorticoError) => void): AsyncApp {
  let app = validateAsync(leaf as AsyncApp, { onViolation });
  for (let i = layers.length - 1; i >= 0; i--)
    app = validateAsync((layers[i] as Layer)(app), { onViolation });
  return app;
}

/** Builds the stack described in the brief of the fuzz tests; call once per file. */
export function buildStack(): Stack {
  const base = mkdtempSync(join(tmpdir(), 'portico-fuzz-'));
  const root = join(base, 'root');
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(join(root, 'hello.txt'), 'Hello, world\n');
  writeFileSync(join(root, 'data.bin'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff)));
  writeFileSync(join(root, 'docs', 'index.html'), '<!doctype html><title>docs</title>');

  const log: string[] = [];
  const violations: PorticoError[] = [];
  const recorded = new Map<string, Recorded>();
  const onViolation = (err: PorticoError) => {
    violations.push(err);
  };
  const v = (app: App) => validateAsync(app as AsyncApp, { onViolation });

  const leaf = v(leafRouter());
  const guarded = builder((b) => {
    b.mount('/files', v(staticFiles({ root, fallthrough: false })(v(leafRouter()))));
    b.mount(
      '/basic',
      v(basicAuth({ verify: basicUsers({ [BASIC_USER[0]]: BASIC_USER[1] }) })(v(requireAuth()(leaf)))),
    );
    b.mount(
      '/bearer',
      v(jwtAuth({ algorithms: ['HS256'], key: JWT_KEY, issuer: JWT_ISSUER, audience: JWT_AUDIENCE })(leaf)),
    );
    b.run(leaf);
  });
  const sessionBranch = stackUp([session({ store: new MemoryStore() }), csrf()], guarded, onViolation);
  const cookieBranch = stackUp(
    [cookieSession({ keys: ['cookie-session-key-0123456789abcdef'] }), csrf()],
    leaf,
    onViolation,
  );
  const branches = builder((b) => {
    b.mount('/cs', cookieBranch);
    b.run(sessionBranch);
  });
  const stacked = stackUp(
    [
      errorHandler({ debug: false }),
      accessLog({ write: (line) => log.push(line) }),
      requestId({ trustIncoming: true }),
      proxyHeaders({ trusted: ['127.0.0.1', '::1', 'unix'] }),
      trustedHost({ allowed: ['example.com', '*.example.com', 'localhost', '127.0.0.1'] }),
      securityHeaders(),
      cors({ origins: ['https://app.example.com'], credentials: true }),
      compression({ threshold: 0 }),
      conditionalGet(),
      etag(),
      contentLength(),
      head(),
      methodOverride(),
      bodyLimit({ limit: 64 * 1024 }),
      requestTimeout({ timeout: 2000 }),
      cookies({ keys: ['cookies-key-0123456789abcdef0123'] }),
    ],
    branches,
    onViolation,
  );

  const app = asyncApp(async function recorderApp(scope, receive, send) {
    if (scope.type !== 'http') return stacked(scope, receive, send);
    const id = scope.headers.find(([n]) => n === 'x-fuzz-id')?.[1];
    const rec: Recorded = {
      method: scope.method,
      status: 0,
      headers: [],
      bodyBytes: 0,
      settled: false,
      error: undefined,
    };
    if (id !== undefined) recorded.set(id, rec);
    try {
      await stacked(scope, receive, (event) => {
        if (event.type === 'http.response.start') {
          rec.status = event.status;
          rec.headers = event.headers ?? [];
        } else if (event.type === 'http.response.body') rec.bodyBytes += event.body?.length ?? 0;
        return send(event);
      });
    } catch (err) {
      rec.error = err;
      throw err;
    } finally {
      rec.settled = true;
    }
  });
  return {
    app,
    log,
    violations,
    recorded,
    root,
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}
