/**
 * The constants of the FastCGI 1.0 specification (Open Market, 1996), with the names the
 * specification gives them (its appendix A, `fastcgi.h`). Section numbers below are the spec's.
 *
 * @module
 */

/** `FCGI_VERSION_1`: the only protocol version (section 8). */
export const FCGI_VERSION_1 = 1;
/** `FCGI_HEADER_LEN`: every record starts with an 8-byte header (section 3.3). */
export const FCGI_HEADER_LEN = 8;
/** Largest content of one record: `contentLength` is 16 bits (section 3.3). */
export const FCGI_MAX_CONTENT_LENGTH = 0xffff;
/** `FCGI_NULL_REQUEST_ID`: management records carry request id 0 (section 3.3). */
export const FCGI_NULL_REQUEST_ID = 0;
/** `FCGI_LISTENSOCK_FILENO`: the listening socket a web server hands to a spawned app (section 2.2). */
export const FCGI_LISTENSOCK_FILENO = 0;

/** Record types (section 8, `fastcgi.h`). */
export const FCGI_BEGIN_REQUEST = 1;
/** See {@link FCGI_BEGIN_REQUEST}. */
export const FCGI_ABORT_REQUEST = 2;
/** See {@link FCGI_BEGIN_REQUEST}. */
export const FCGI_END_REQUEST = 3;
/** See {@link FCGI_BEGIN_REQUEST}. */
export const FCGI_PARAMS = 4;
/** See {@link FCGI_BEGIN_REQUEST}. */
export const FCGI_STDIN = 5;
/** See {@link FCGI_BEGIN_REQUEST}. */
export const FCGI_STDOUT = 6;
/** See {@link FCGI_BEGIN_REQUEST}. */
export const FCGI_STDERR = 7;
/** See {@link FCGI_BEGIN_REQUEST}. */
export const FCGI_DATA = 8;
/** See {@link FCGI_BEGIN_REQUEST}. */
export const FCGI_GET_VALUES = 9;
/** See {@link FCGI_BEGIN_REQUEST}. */
export const FCGI_GET_VALUES_RESULT = 10;
/** See {@link FCGI_BEGIN_REQUEST}. */
export const FCGI_UNKNOWN_TYPE = 11;
/** `FCGI_MAXTYPE`: types above it are unknown to this version (section 8). */
export const FCGI_MAXTYPE = FCGI_UNKNOWN_TYPE;

/** `FCGI_KEEP_CONN`: the one flag of `FCGI_BeginRequestBody.flags` (section 5.1). */
export const FCGI_KEEP_CONN = 1;

/** Roles of `FCGI_BeginRequestBody.role` (section 6). */
export const FCGI_RESPONDER = 1;
/** See {@link FCGI_RESPONDER}. */
export const FCGI_AUTHORIZER = 2;
/** See {@link FCGI_RESPONDER}. */
export const FCGI_FILTER = 3;

/** Values of `FCGI_EndRequestBody.protocolStatus` (section 5.5). */
export const FCGI_REQUEST_COMPLETE = 0;
/** See {@link FCGI_REQUEST_COMPLETE}. */
export const FCGI_CANT_MPX_CONN = 1;
/** See {@link FCGI_REQUEST_COMPLETE}. */
export const FCGI_OVERLOADED = 2;
/** See {@link FCGI_REQUEST_COMPLETE}. */
export const FCGI_UNKNOWN_ROLE = 3;

/** Variable names of `FCGI_GET_VALUES` (section 4.1). */
export const FCGI_MAX_CONNS = 'FCGI_MAX_CONNS';
/** See {@link FCGI_MAX_CONNS}. */
export const FCGI_MAX_REQS = 'FCGI_MAX_REQS';
/** See {@link FCGI_MAX_CONNS}. */
export const FCGI_MPXS_CONNS = 'FCGI_MPXS_CONNS';

/** The name of a record type for logs: `FCGI_STDIN`, or `type 42` for an unknown one. */
export function recordTypeName(type: number): string {
  return RECORD_TYPE_NAMES[type] ?? `type ${type}`;
}

const RECORD_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [FCGI_BEGIN_REQUEST]: 'FCGI_BEGIN_REQUEST',
  [FCGI_ABORT_REQUEST]: 'FCGI_ABORT_REQUEST',
  [FCGI_END_REQUEST]: 'FCGI_END_REQUEST',
  [FCGI_PARAMS]: 'FCGI_PARAMS',
  [FCGI_STDIN]: 'FCGI_STDIN',
  [FCGI_STDOUT]: 'FCGI_STDOUT',
  [FCGI_STDERR]: 'FCGI_STDERR',
  [FCGI_DATA]: 'FCGI_DATA',
  [FCGI_GET_VALUES]: 'FCGI_GET_VALUES',
  [FCGI_GET_VALUES_RESULT]: 'FCGI_GET_VALUES_RESULT',
  [FCGI_UNKNOWN_TYPE]: 'FCGI_UNKNOWN_TYPE',
});
