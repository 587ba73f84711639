#!/usr/bin/env node
// @ts-check
/**
 * The hello response as a bare Node ES module writing with `fs.writeSync`, no adapter, for
 * bench/cgi/cold-start.js: the floor of a Node CGI program that is an ES module (what a runCGI
 * script is), which the ESM loader makes a few ms slower than `node -e ''`.
 */
import { writeSync } from 'node:fs';

writeSync(
  1,
  'Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\nHello, world!\n',
);
