#!/usr/bin/env node
// @ts-check
/**
 * The hello app (apps/hello-async.js) as a CGI program through `runCGI` of @portico/cgi, for the CGI
 * bench (bench/cgi.js): the web server starts this script once per request.
 */
import { runCGI } from '@portico/cgi/program';
import hello from './hello-async.js';

await runCGI(hello);
