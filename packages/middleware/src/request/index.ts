/**
 * Request-side middleware of the standard set: `proxyHeaders`, `bodyLimit`, `requestTimeout`,
 * `trustedHost`, `httpsRedirect`, `methodOverride`, and the `Forwarded` (RFC 7239) codec.
 *
 * @module
 */

export { type BodyLimitOptions, bodyLimit, DEFAULT_BODY_LIMIT } from './body-limit.js';
export {
  type ForwardedElement,
  type ForwardedNode,
  parseForwarded,
  parseNode,
  serializeForwarded,
} from './forwarded.js';
export { type HttpsRedirectOptions, httpsRedirect } from './https-redirect.js';
export {
  type MethodOverrideOptions,
  methodOverride,
  ORIGINAL_METHOD_STATE_KEY,
} from './method-override.js';
export { type ProxyHeadersOptions, proxyHeaders } from './proxy-headers.js';
export { DEFAULT_REQUEST_TIMEOUT, type RequestTimeoutOptions, requestTimeout } from './request-timeout.js';
export { hostName, type TrustedHostOptions, trustedHost } from './trusted-host.js';
