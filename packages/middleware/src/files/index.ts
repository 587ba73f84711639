/**
 * Files and validators: `staticFiles()`, `conditionalGet()`, `etag()`, and the RFC 9110 pieces
 * they share (entity-tags, HTTP-dates, preconditions, byte ranges).
 *
 * @module
 */

export * from './conditional-get.js';
export * from './etag.js';
export * from './file-body.js';
export * from './preconditions.js';
export * from './range.js';
export type { DotfilesPolicy } from './resolve.js';
export * from './static-files.js';
export * from './validators.js';
