/**
 * Management records (request id 0, FastCGI 1.0 section 4): the reply to FCGI_GET_VALUES
 * (FCGI_GET_VALUES_RESULT with the variables the app knows) and FCGI_UNKNOWN_TYPE for a management
 * type the app does not understand. Pure: bytes in, the reply's bytes out.
 *
 * @module
 */
import { decodeNameValuePairs, encodeNameValuePairs, type NameValuePair } from './name-value.js';
import {
  FCGI_GET_VALUES,
  FCGI_GET_VALUES_RESULT,
  FCGI_MAX_CONNS,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  FCGI_NULL_REQUEST_ID,
} from './protocol.js';
import { encodeStream, encodeUnknownType } from './record-codec.js';

/** What FCGI_GET_VALUES can ask of the app (section 4.1), from the server's options. */
export interface ManagementValues {
  /** `FCGI_MAX_CONNS`: most open connections. */
  readonly maxConnections: number;
  /** `FCGI_MAX_REQS`: most requests in flight at once. */
  readonly maxRequests: number;
  /** `FCGI_MPXS_CONNS`: whether a connection may carry several requests at once. */
  readonly multiplex: boolean;
}

/**
 * The reply to a management record of `type` with `content`: FCGI_GET_VALUES_RESULT for
 * FCGI_GET_VALUES, FCGI_UNKNOWN_TYPE for any other type.
 *
 * @throws PorticoError `ERR_FCGI_BAD_RECORD` when an FCGI_GET_VALUES body is not a name-value list
 */
export function managementReply(type: number, content: Uint8Array, values: ManagementValues): Uint8Array {
  // `SRV-FCGI-5`, section 4.2: a management record of a type the app does not understand gets
  // FCGI_UNKNOWN_TYPE.
  if (type !== FCGI_GET_VALUES) return encodeUnknownType(type);
  const asked = decodeNameValuePairs(content);
  const known: Record<string, string> = {
    [FCGI_MAX_CONNS]: String(values.maxConnections),
    [FCGI_MAX_REQS]: String(values.maxRequests),
    [FCGI_MPXS_CONNS]: values.multiplex ? '1' : '0',
  };
  // `SRV-FCGI-5`, section 4.1: the reply carries the variables the app knows, in the order asked;
  // others are left out.
  const answer: NameValuePair[] = [];
  for (const [name] of asked) {
    const value = known[name];
    if (value !== undefined) answer.push([name, value]);
  }
  return encodeStream(FCGI_GET_VALUES_RESULT, FCGI_NULL_REQUEST_ID, encodeNameValuePairs(answer));
}
