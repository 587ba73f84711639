/**
 * The app the suite serves: one async app routing on `scope.path` (plus a sync app through the
 * bridge), each wrapped in the validator, so every exchange is also checked against spec/.
 *
 * Probes let a case coordinate with the app (release the next streamed chunk, learn how the app's
 * last send ended). In-process (HTTP, FastCGI, SCGI adapters) they are promises in {@link probes}.
 * A CGI program is a new process per request: when its environment has `PORTICO_PROBE_DIR` (set by
 * the wrapper script that runs it, not by the web server), the probes go through files in that
 * directory instead ({@link probeFiles} names them): the app waits for `<id>.release.<n>` before
 * its n-th streamed chunk, and writes `<id>.outcome` when it is done, and `<id>.maxrss` (its peak
 * resident set size, KiB) once it has read a request body.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AsyncApp, HTTPScope, Receive, Send, SyncApp } from '@portico/spec';
import { isPorticoError, syncToAsync, validateAsync, validateSync } from '@portico/spec';

/**
 * What a request's app observed, for cases that look at the server side (keyed by the `x-probe`
 * request header, or the `probe` query parameter for a front end that passes few headers on).
 */
export interface Probe {
  /** Resolves when the app is done, with how its last send or receive ended. */
  outcome: Promise<string>;
  settle(what: string): void;
  /** The app waits on this between streamed chunks. */
  gates: (() => void)[];
  waiting: ((release: () => void) => void)[];
  /** File-backed (the app runs in another process): the directory and the gates passed so far. */
  files?: { readonly dir: string; readonly id: string; passed: number };
}

/**
 * The files of probe `id` in `dir`: `release(n)` lets the app send its n-th streamed chunk
 * (1-based), `outcome` holds how the app ended, `maxrss` its peak RSS in KiB after reading a body.
 */
export function probeFiles(dir: string, id: string) {
  return {
    release: (n: number) => join(dir, `${id}.release.${n}`),
    outcome: join(dir, `${id}.outcome`),
    maxrss: join(dir, `${id}.maxrss`),
  };
}

/**
 * A probe the app side keeps in files under `dir` (see the module comment). A web server may end
 * the program with SIGTERM (Apache and lighttpd do when the client leaves): the outcome is then
 * `SIGTERM`, written before the signal's default action ends the process as it would have.
 */
function fileProbe(dir: string, id: string): Probe {
  const files = probeFiles(dir, id);
  let settled = false;
  const settle = (what: string) => {
    if (settled) return;
    settled = true;
    writeFileSync(files.outcome, what, { mode: 0o666 });
  };
  process.once('SIGTERM', () => {
    settle('SIGTERM');
    // No listener left: the default action (exit by the signal) applies again.
    process.kill(process.pid, 'SIGTERM');
  });
  return {
    outcome: new Promise<string>(() => {}),
    settle,
    gates: [],
    waiting: [],
    files: { dir, id, passed: 0 },
  };
}

export const probes = new Map<string, Probe>();

export function probe(id: string): Probe {
  let settle!: (what: string) => void;
  const outcome = new Promise<string>((r) => {
    settle = r;
  });
  const p: Probe = { outcome, settle, gates: [], waiting: [] };
  probes.set(id, p);
  return p;
}

/** Waits, inside the app, for the test to release the next chunk. */
function gate(p: Probe): Promise<void> {
  const files = p.files;
  if (files !== undefined) {
    const release = probeFiles(files.dir, files.id).release(++files.passed);
    return new Promise((resolve) => {
      const poll = () => (existsSync(release) ? resolve() : setTimeout(poll, 5));
      poll();
    });
  }
  return new Promise((resolve) => {
    const waiter = p.waiting.shift();
    if (waiter !== undefined) waiter(resolve);
    else p.gates.push(resolve);
  });
}

/** Called by the test: lets the app send its next chunk. */
export function release(p: Probe): void {
  const g = p.gates.shift();
  if (g !== undefined) g();
  else p.waiting.push((r) => r());
}

/** The test's side of a probe, in-process or through files. */
export interface ProbeHandle {
  /** Lets the app send its next streamed chunk. */
  release(): void;
  /** How the app ended, or `'timeout'` when it did not say within `timeoutMs`. */
  outcome(timeoutMs: number): Promise<string>;
  /** File-backed only: the app process's peak RSS (KiB) once it read a body, else undefined. */
  maxRSS(): number | undefined;
}

/**
 * Makes probe `id` and returns the test's side of it: in-process ({@link probe}, {@link release})
 * when `probeDir` is undefined, else through the files {@link probeFiles} names in `probeDir`.
 */
export function probeHandle(probeDir: string | undefined, id: string): ProbeHandle {
  if (probeDir === undefined) {
    const p = probe(id);
    return {
      release: () => release(p),
      outcome: (timeoutMs) =>
        Promise.race([p.outcome, new Promise<string>((r) => setTimeout(() => r('timeout'), timeoutMs))]),
      maxRSS: () => undefined,
    };
  }
  const files = probeFiles(probeDir, id);
  let released = 0;
  return {
    release: () => writeFileSync(files.release(++released), '', { mode: 0o644 }),
    outcome: (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve) => {
        const poll = () => {
          if (existsSync(files.outcome)) resolve(readFileSync(files.outcome, 'utf8'));
          else if (Date.now() > deadline) resolve('timeout');
          else setTimeout(poll, 20);
        };
        poll();
      });
    },
    maxRSS: () => (existsSync(files.maxrss) ? Number(readFileSync(files.maxrss, 'utf8')) : undefined),
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

async function respond(
  send: Send,
  status: number,
  body: Uint8Array,
  type = 'application/json',
): Promise<void> {
  await send({ type: 'http.response.start', status, headers: [['content-type', type]] });
  await send({ type: 'http.response.body', body });
}

async function readBody(receive: Receive) {
  const hash = createHash('sha256');
  let length = 0;
  let events = 0;
  let typesOk = true;
  for (;;) {
    const e = await receive();
    if (e.type !== 'http.request') return { disconnected: true, length, events, sha256: '', typesOk };
    events++;
    typesOk &&= e.body instanceof Uint8Array && typeof e.moreBody === 'boolean';
    hash.update(e.body);
    length += e.body.length;
    if (!e.moreBody) return { disconnected: false, length, events, sha256: hash.digest('hex'), typesOk };
  }
}

function probeOf(scope: HTTPScope): Probe | undefined {
  const id =
    scope.headers.find(([n]) => n === 'x-probe')?.[1] ??
    new URLSearchParams(scope.queryString).get('probe') ??
    undefined;
  if (id === undefined) return undefined;
  const dir = process.env.PORTICO_PROBE_DIR;
  if (dir === undefined || dir === '') return probes.get(id);
  let p = probes.get(id);
  if (p === undefined) {
    p = fileProbe(dir, id);
    probes.set(id, p);
  }
  return p;
}

/** A file-backed probe records the app process's peak RSS (KiB) once it has read the body. */
function reportMemory(p: Probe | undefined): void {
  if (p?.files === undefined) return;
  const kib = process.resourceUsage().maxRSS;
  writeFileSync(probeFiles(p.files.dir, p.files.id).maxrss, String(kib), { mode: 0o666 });
}

const environApp: SyncApp = (environ, startResponse) => {
  const keys = [
    'REQUEST_METHOD',
    'SCRIPT_NAME',
    'PATH_INFO',
    'QUERY_STRING',
    'REQUEST_URI',
    'SERVER_PROTOCOL',
  ];
  const picked = Object.fromEntries(keys.map((k) => [k, environ[k]]));
  const http = Object.fromEntries(Object.entries(environ).filter(([k]) => k.startsWith('HTTP_')));
  startResponse('200 OK', [['Content-Type', 'application/json']]);
  return [json({ ...picked, http })];
};
const bridged = syncToAsync(validateSync(environApp));

const routes: Record<string, AsyncApp> = {
  async scope(scope, receive, send) {
    const s = scope as HTTPScope;
    await readBody(receive);
    await respond(send, 200, json({ ...s, extensions: Object.keys(s.extensions) }));
  },
  async body(scope, receive, send) {
    const seen = await readBody(receive);
    reportMemory(probeOf(scope as HTTPScope));
    await respond(send, 200, json(seen));
  },
  async head(_scope, _receive, send) {
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body: Buffer.from('hello, head') });
  },
  async stream(scope, _receive, send) {
    const p = probeOf(scope as HTTPScope);
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
    for (let i = 1; i <= 3; i++) {
      if (p !== undefined) await gate(p);
      await send({ type: 'http.response.body', body: Buffer.from(`chunk ${i};`), moreBody: i < 3 });
    }
  },
  async error() {
    throw new Error('conformance: deliberate failure');
  },
  /**
   * `/redirect/local`: 200 with `location` `<rootPath>/head` and no body, which a CGI program writes
   * as a local redirect (RFC 3875 section 6.2.2: `Location:` alone); `/redirect/client`: 302 to
   * `http://example.com/moved?from=app` with a body (section 6.2.4).
   */
  async redirect(scope, receive, send) {
    const s = scope as HTTPScope;
    await readBody(receive);
    const local = s.path === '/redirect/local';
    await send({
      type: 'http.response.start',
      status: local ? 200 : 302,
      headers: [
        ['content-type', 'text/plain'],
        ['location', local ? `${s.rootPath}/head` : 'http://example.com/moved?from=app'],
      ],
    });
    await send({ type: 'http.response.body', body: Buffer.from(local ? '' : 'moved') });
  },
  async forever(scope, _receive, send) {
    const p = probeOf(scope as HTTPScope);
    try {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
      const piece = Buffer.alloc(8192, 'f');
      for (let i = 0; i < 100_000; i++) {
        await send({ type: 'http.response.body', body: piece, moreBody: true });
        await new Promise((r) => setTimeout(r, 1));
      }
      p?.settle('never disconnected');
    } catch (err) {
      p?.settle(isPorticoError(err, 'ERR_CLIENT_DISCONNECTED') ? 'ERR_CLIENT_DISCONNECTED' : String(err));
      throw err;
    }
  },
  environ: (scope, receive, send) => bridged(scope, receive, send),
};

/** The conformance app: `/<route>/...` picks the handler; everything is validated. */
export const conformanceApp: AsyncApp = validateAsync(async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  const route = scope.path.split('/')[1] ?? '';
  const handler = routes[route];
  if (handler === undefined) return respond(send, 404, Buffer.from('no such route'), 'text/plain');
  return handler(scope, receive, send);
});
