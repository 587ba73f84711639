#!/usr/bin/env node
// @ts-check
/**
 * A sync-interface app as a CGI program: it answers with its environ, which is what the web server
 * passed (the meta-variables, DOCUMENT_ROOT, ...), as a sync app sees it. Handy to check what a
 * deployment sends; do not leave it reachable in production.
 *
 *   REQUEST_METHOD=GET SCRIPT_NAME=/cgi-bin/environ.cgi.mjs ./environ.cgi.mjs
 */
import { runCGI } from '@portico/cgi/program';

/** @type {import('@portico/spec').SyncApp} */
function environ(env, startResponse) {
  const lines = Object.keys(env)
    .filter((key) => typeof env[key] === 'string')
    .sort()
    .map((key) => `${key}=${env[key]}\n`);
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']]);
  return [new TextEncoder().encode(lines.join(''))];
}

process.exit(await runCGI(environ));
