/**
 * HTTP middleware of the standard set: `compression()` (gzip, deflate, brotli with node:zlib),
 * `cors()` (the Fetch standard's CORS protocol), `contentLength()` and `head()`.
 *
 * @module
 */

export { type AcceptedCoding, negotiateEncoding, parseAcceptEncoding } from './accept-encoding.js';
export { type CompressionOptions, compression, isCompressible } from './compression.js';
export type { Coding } from './compressor.js';
export { contentLength } from './content-length.js';
export { type CorsOptions, type CorsOrigins, cors } from './cors.js';
export { head } from './head.js';
