/**
 * `@portico/http`: Portico's HTTP/1.1 server adapter. node:http (llhttp) parses the wire; this
 * package maps each request to an async-interface scope (spec/servers.md), streams bodies both ways
 * with backpressure, contains app errors, runs the lifespan protocol and shuts down gracefully.
 *
 * @packageDocumentation
 */

export { createRequestListener, type RequestListener } from './listener.js';
export type { HTTPServerOptions } from './options.js';
export { type HTTPServer, serve } from './server.js';
