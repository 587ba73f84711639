/**
 * The hello app in the sync interface (spec/sync.md): answers every request with "Hello, world!\n".
 * Run it with `pnpm exec portico serve examples/hello/sync.ts`.
 *
 * `portico serve` sees a plain function declaring two parameters, `(environ, startResponse)`, and
 * serves it as a sync app through the bridge (spec/sync.md, "Telling the interfaces apart"). Keep
 * both parameters even when one is unused, or mark the app with `syncApp()` from `@portico/spec`.
 */
import type { Environ, ResponseBody, StartResponse } from '@portico/spec';

// Built once, not per request: the body bytes and the headers that describe them.
const BODY = new TextEncoder().encode('Hello, world!\n');
const HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['content-type', 'text/plain; charset=utf-8'],
  ['content-length', String(BODY.byteLength)],
];

export default function hello(_environ: Environ, startResponse: StartResponse): ResponseBody {
  startResponse('200 OK', HEADERS);
  return [BODY];
}
