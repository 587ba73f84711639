/**
 * `@portico/middleware`: composition (`compose`, a builder with `use`/`mount`/`run`), routing and
 * cookies, for apps of either interface (spec/middleware.md).
 *
 * @packageDocumentation
 */

export * from './compose/index.js';
export * from './cookies/index.js';
export * from './router/index.js';
