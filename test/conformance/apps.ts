/**
 * The app the suite serves: one async app routing on `scope.path` (plus a sync app through the
 * bridge), each wrapped in the validator, so every exchange is also checked against spec/.
 */
import { createHash } from 'node:crypto';
import type { AsyncApp, HTTPScope, Receive, Send, SyncApp } from '@portico/spec';
import { isPorticoError, syncToAsync, validateAsync, validateSync } from '@portico/spec';

/** What a request's app observed, for cases that look at the server side (keyed by `x-probe`). */
export interface Probe {
  /** Resolves when the app is done, with how its last send or receive ended. */
  outcome: Promise<string>;
  settle(what: string): void;
  /** The app waits on this between streamed chunks. */
  gates: (() => void)[];
  waiting: ((release: () => void) => void)[];
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
  const id = scope.headers.find(([n]) => n === 'x-probe')?.[1];
  return id === undefined ? undefined : probes.get(id);
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
  async body(_scope, receive, send) {
    await respond(send, 200, json(await readBody(receive)));
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
