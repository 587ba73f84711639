/**
 * `@portico/cgi`: CGI/1.1 (RFC 3875) in both directions. `runCGI` runs a Portico app as a CGI
 * program (the web server starts the process per request); `cgiHost` is an async app that runs CGI
 * programs, as Apache's mod_cgi and Python's CGIHTTPRequestHandler do.
 *
 * @packageDocumentation
 */

export * from './host/index.js';
export * from './program/index.js';
