/**
 * `@portico/server`: what every Portico server adapter shares, so adapters stay thin: the log and
 * the access log, the lifespan runner, bind parsing, the limits and their defaults, and
 * {@link RequestCycle}, the one implementation of `receive`/`send` and of what happens when an app
 * fails (spec/servers.md).
 *
 * @packageDocumentation
 */

export {
  type AccessLogEntry,
  accessLogEntry,
  escapeLogItem,
  formatCombinedLog,
  formatLogTime,
} from './access-log.js';
export {
  type Bind,
  DEFAULT_PORT,
  type FDBind,
  formatAddress,
  parseBind,
  type TCPBind,
  type UnixBind,
} from './bind.js';
export { CGIExtension, variableOf, variablesFromList } from './cgi-extension.js';
export { cgiVariableName } from './cgi-names.js';
export { cgiResponseHead } from './cgi-response-head.js';
export {
  type CycleContext,
  clientDisconnectedError,
  RequestBodyCycle,
  RequestCycle,
  ResponseCycle,
  ResponseState,
} from './cycle.js';
export { type FileSink, sendFile } from './file-send.js';
export { type Lifespan, type LifespanMode, type LifespanOptions, startLifespan } from './lifespan.js';
export { DEFAULT_LIMITS, LIMIT_NAMES, type Limits, resolveLimits } from './limits.js';
export { listenOn, removeStaleSocket } from './listen.js';
export {
  createLogger,
  formatLogLine,
  isLogLevel,
  type Logger,
  type LogLevel,
  type LogStream,
  silentLogger,
} from './logger.js';
export { REASON_PHRASES } from './reason-phrases.js';
export {
  FIXED_RESPONSES,
  type FixedResponse,
  type HeaderFacts,
  inspectHeaders,
  isBodylessStatus,
  withHeader,
  withoutHeader,
} from './response-headers.js';
export {
  type CommonServerOptions,
  integerOption,
  invalidOption,
  type ResolvedServerOptions,
  resolveServerOptions,
} from './server-options.js';
export { drainRequests, finishShutdown } from './shutdown.js';
export {
  type SocketAdapter,
  type SocketConnection,
  type SocketServer,
  type SocketServerCore,
  type SocketServerState,
  serveSockets,
  socketServerCore,
} from './socket-server.js';
export { SPEC_INFO } from './spec-info.js';
