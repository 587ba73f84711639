/**
 * Diagnostics middleware: error pages, the access log, request ids.
 *
 * @module
 */

export { type AccessLogFormat, type AccessLogOptions, accessLog } from './access-log.js';
export { type ErrorHandlerOptions, errorHandler, errorStatus } from './error-handler.js';
export {
  acceptQuality,
  causeChain,
  type DebugRequest,
  type ErrorBody,
  type ErrorBodyType,
  type ErrorSummary,
  escapeHtml,
  negotiateErrorType,
  reasonPhrase,
  renderDebugPage,
  renderErrorPage,
} from './error-page.js';
export { isSafeRequestId, REQUEST_ID_STATE_KEY, type RequestIdOptions, requestId } from './request-id.js';
