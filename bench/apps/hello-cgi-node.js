#!/usr/bin/env node
// @ts-check
/**
 * The hello response as a bare Node CGI script, no adapter, for the CGI bench (bench/cgi.js): the
 * floor a Node CGI program cannot go below (Node's own start-up), to set apps/hello-cgi.js against.
 */
process.stdout.write('Content-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\nHello, world!\n');
