/**
 * `@portico/scgi`: an SCGI server for Portico apps (Neil Schemenauer's SCGI protocol, behind nginx
 * `scgi_pass`, Apache `mod_proxy_scgi`, lighttpd `mod_scgi`), and its pure netstring codec.
 *
 * @packageDocumentation
 */

export {
  type CGIResponseHead,
  parseCGIResponse,
  type SCGIAddress,
  type SCGIRequest,
  type SCGIResponse,
  scgiRequest,
} from './client.js';
export { badNetstring, encodeSCGIHead, type SCGIHead, SCGIHeadParser } from './netstring.js';
export type { SCGIServerOptions } from './options.js';
export { type SCGIServer, serve } from './server.js';
