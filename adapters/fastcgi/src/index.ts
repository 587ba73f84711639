/**
 * `@portico/fastcgi`: a FastCGI 1.0 application server for Portico apps (Responder, Authorizer and
 * Filter roles, multiplexed and kept connections, `FCGI_GET_VALUES`, the listening socket on fd 0),
 * its pure record codec, and a FastCGI client for tests and tools.
 *
 * @packageDocumentation
 */

export {
  type FastCGIAddress,
  FastCGIClient,
  type FastCGIRequest,
  type FastCGIResponse,
  parseCgiHead,
  type RecordObserver,
} from './client.js';
export {
  decodeNameValueList,
  decodeNameValuePairs,
  encodeNameValuePairs,
  type NameValuePair,
} from './name-value.js';
export { type FastCGIServerOptions, parseWebServerAddrs } from './options.js';
export { type CGIVariables, declaredLength } from './params.js';
export * from './protocol.js';
export {
  type BeginRequestBody,
  badRecord,
  decodeBeginRequest,
  decodeEndRequest,
  decodeUnknownType,
  describeRecord,
  type EndRequestBody,
  encodeBeginRequest,
  encodeEndRequest,
  encodeRecord,
  encodeStream,
  encodeUnknownType,
  type FastCGIRecord,
  paddingFor,
  RecordDecoder,
  type RecordHandler,
  streamSize,
  writeEndRequest,
  writeHeader,
  writeStream,
} from './record-codec.js';
export type { FilterDataEvent } from './request-slot.js';
export { type FastCGIServer, serve } from './server.js';
