/**
 * `@portico/middleware`: composition (`compose`, a builder with `use`/`mount`/`run`), routing,
 * cookies, sessions, auth and the standard set (HTTP semantics, static files, request-side guards,
 * diagnostics, security headers and CSRF), for apps of either interface (spec/middleware.md).
 *
 * @packageDocumentation
 */

export * from './auth/index.js';
export * from './compose/index.js';
export * from './cookies/index.js';
export * from './diagnostics/index.js';
export * from './files/index.js';
export * from './http/index.js';
export * from './request/index.js';
export * from './router/index.js';
export * from './security/index.js';
export * from './sessions/index.js';
