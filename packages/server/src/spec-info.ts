/**
 * The `spec` key servers put in every scope.
 *
 * @module
 */
import type { SpecInfo } from '@portico/spec';

/** The interface version this server kit implements (spec/async.md "Version History"). */
export const SPEC_INFO: SpecInfo = Object.freeze({ version: '1.0', specVersion: '1.0' });
