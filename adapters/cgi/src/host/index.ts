/**
 * The CGI host: an async app that runs CGI programs (spec/servers.md section 16, SRV-CGI-6 to
 * SRV-CGI-9).
 *
 * @module
 */
export { cgiHost } from './host.js';
export type { CGIHostOptions } from './options.js';
