#!/usr/bin/env node
// @ts-check
/**
 * A Portico app as a CGI program (RFC 3875): the web server runs this file once per request, with
 * the request's meta-variables in the environment and its body on stdin; `runCGI` writes the
 * response on stdout and resolves with the exit status once all of it is written.
 *
 * Try it without a web server:
 *   REQUEST_METHOD=GET SCRIPT_NAME=/cgi-bin/hello.cgi.mjs PATH_INFO=/you ./hello.cgi.mjs
 */
import { runCGI } from '@portico/cgi/program';

const encoder = new TextEncoder();

/** @type {import('@portico/spec').AsyncApp} */
async function hello(scope, _receive, send) {
  if (scope.type !== 'http') return;
  const name = scope.path.slice(1) || 'world';
  const body = encoder.encode(`Hello, ${name}!\n`);
  await send({
    type: 'http.response.start',
    status: 200,
    headers: [['content-type', 'text/plain; charset=utf-8']],
  });
  await send({ type: 'http.response.body', body });
}

process.exit(await runCGI(hello));
