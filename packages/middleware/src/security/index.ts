/**
 * Security middleware: security response headers and CSRF protection.
 *
 * @module
 */

export {
  CSRF_SESSION_KEY,
  CSRF_STATE_KEY,
  type CsrfOptions,
  type CsrfState,
  csrf,
  isCrossOrigin,
  tokensMatch,
} from './csrf.js';
export {
  DEFAULT_CSP,
  type HstsOptions,
  resolveSecurityHeaders,
  type SecurityHeadersOptions,
  securityHeaders,
} from './security-headers.js';
