// Run by bundle-program.mjs in a fresh process with CGI meta-variables in its environment: loads
// the program entry, answers a GET and a POST through runCGI, and writes the V8 code cache of the
// program script (compiled functions included) to the path given as the first argument.

import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodeCache, runCGI } from '../dist/program-entry.js';

const BODY = new TextEncoder().encode('Hello, world!\n');
/** The hello app, reading the request body first. */
async function app(scope, receive, send) {
  if (scope.type !== 'http') return;
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request' || !event.moreBody) break;
  }
  await send({
    type: 'http.response.start',
    status: 200,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', String(BODY.length)],
    ],
  });
  await send({ type: 'http.response.body', body: BODY });
}

const out = process.argv[2];
if (out === undefined) throw new Error('usage: warm-program.mjs CACHE_FILE');
const dir = mkdtempSync(join(tmpdir(), 'portico-warm-'));
try {
  const devNull = openSync('/dev/null', 'r+');
  // A GET as a web server runs the program: meta-variables from the environment.
  if ((await runCGI(app, { stdin: devNull, stdout: devNull })) !== 0) throw new Error('GET failed');
  // A POST with a body on standard input.
  const bodyFile = join(dir, 'body');
  writeFileSync(bodyFile, 'x'.repeat(1000));
  const stdin = openSync(bodyFile, 'r');
  const env = { ...process.env, REQUEST_METHOD: 'POST', CONTENT_LENGTH: '1000', CONTENT_TYPE: 'text/plain' };
  if ((await runCGI(app, { env, stdin, stdout: devNull })) !== 0) throw new Error('POST failed');
  closeSync(stdin);
  closeSync(devNull);
  writeFileSync(out, createCodeCache());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
