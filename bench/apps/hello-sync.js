// @ts-check
/**
 * The sync hello app of examples/hello/sync.ts, in plain JavaScript so the benchmark runs it from
 * built code without a loader. Keep the two in step.
 */

const BODY = new TextEncoder().encode('Hello, world!\n');
/** @type {ReadonlyArray<readonly [string, string]>} */
const HEADERS = [
  ['content-type', 'text/plain; charset=utf-8'],
  ['content-length', String(BODY.byteLength)],
];

/** @type {import('@portico/spec').SyncApp} */
export default function hello(_environ, startResponse) {
  startResponse('200 OK', HEADERS);
  return [BODY];
}
