/**
 * `@portico/spec`: the Portico gateway interface. Types for the sync and async interfaces, the
 * validator, the bridges between the interfaces, and app loading. No runtime dependencies.
 *
 * @packageDocumentation
 */

export type * from './async-types.js';
export * from './bridge/index.js';
export * from './errors.js';
export * from './headers.js';
export * from './interface.js';
export * from './load.js';
export * from './path.js';
export type * from './sync-types.js';
export * from './validator/index.js';
