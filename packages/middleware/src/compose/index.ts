/**
 * Composition: `compose`, a builder (`use`/`mount`/`run`), `mount`, and a replayable request body
 * (spec/middleware.md sections 2, 3 and 7).
 *
 * @module
 */

export { type BufferBodyOptions, type BufferedBody, bufferBody, replayableReceive } from './body.js';
export { Builder, type BuilderOptions, builder } from './builder.js';
export { assertApp, compose, type Middleware } from './compose.js';
export { type MountOptions, mount, normalizePrefix, notFound, toAsyncApp } from './mount.js';
