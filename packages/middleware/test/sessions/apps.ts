/** Apps and helpers shared by the session tests. */
import {
  type AsyncApp,
  type Environ,
  type SyncApp,
  syncApp,
  validateAsync,
  validateSync,
} from '@portico/spec';
import type { TestResponse } from '@portico/testing';
import { type Session, sessionOf } from '../../src/sessions/index.js';
import { sendJson } from '../helpers/respond.js';

const enc = new TextEncoder();

/** One operation on the session: `["set", key, value]`, `["delete", key]`, `["clear"]`, ... */
export type Op = ['set', string, unknown] | ['delete', string] | ['clear'] | ['regenerate'] | ['destroy'];

/** What the leaf apps answer: the session before and after the operations. */
export interface Seen {
  before: { data: Record<string, unknown>; isNew: boolean; id: string | null };
  after: { data: Record<string, unknown>; isNew: boolean; id: string | null };
}

const snapshot = (s: Session): Seen['before'] => ({
  data: { ...s.toJSON() },
  isNew: s.isNew,
  id: s.id ?? null,
});

function apply(s: Session, ops: Op[]): void {
  for (const op of ops) {
    if (op[0] === 'set') s.set(op[1], op[2]);
    else if (op[0] === 'delete') s.delete(op[1]);
    else if (op[0] === 'clear') s.clear();
    else if (op[0] === 'regenerate') void s.regenerate();
    else void s.destroy();
  }
}

/** An async app: applies the ops of the `x-ops` header (JSON) and answers {@link Seen} as JSON. */
export const sessionAsync: AsyncApp = async function sessionAsyncApp(scope, receive, send) {
  if (scope.type !== 'http') return;
  await receive();
  const s = sessionOf(scope);
  const before = snapshot(s);
  const header = scope.headers.find(([n]) => n === 'x-ops')?.[1];
  apply(s, header === undefined ? [] : (JSON.parse(header) as Op[]));
  await sendJson(send, { before, after: snapshot(s) });
};

/** The same app in the sync interface, reading the session from `environ['portico.state']`. */
export const sessionSync: SyncApp = syncApp(function sessionSyncApp(environ: Environ, startResponse) {
  const s = sessionOf(environ);
  const before = snapshot(s);
  const header = environ.HTTP_X_OPS;
  apply(s, header === undefined ? [] : (JSON.parse(header) as Op[]));
  startResponse('200 OK', [['Content-Type', 'application/json']]);
  return [enc.encode(JSON.stringify({ before, after: snapshot(s) }))];
});

/** Both leaves, under the validator. */
export const leaves = [
  { kind: 'async', app: validateAsync(sessionAsync) },
  { kind: 'sync', app: validateSync(sessionSync) },
] as const;

/** The value the response's `Set-Cookie` gives cookie `name` (`""` when cleared), or undefined. */
export function cookieValue(res: TestResponse, name: string): string | undefined {
  const line = res.headerAll('set-cookie').find((v) => v.startsWith(`${name}=`));
  return line === undefined ? undefined : line.slice(name.length + 1).split(';')[0];
}

/** The whole `Set-Cookie` line for cookie `name`, or undefined. */
export function cookieLine(res: TestResponse, name: string): string | undefined {
  return res.headerAll('set-cookie').find((v) => v.startsWith(`${name}=`));
}

/** Request init carrying the cookie and the ops. */
export function req(cookie: string | undefined, ops: Op[] = []): { headers: Record<string, string> } {
  const headers: Record<string, string> = { 'x-ops': JSON.stringify(ops) };
  if (cookie !== undefined) headers.cookie = cookie;
  return { headers };
}

/** A settable clock for the `now` option, ms. */
export function fakeClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}
