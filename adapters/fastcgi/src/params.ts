/**
 * From FCGI_PARAMS to a scope (spec/servers.md section 2, right-hand column; section 14): the CGI
 * variables a front end sends become an http scope by `scopeFromVariableList`, the mapping every
 * CGI-family adapter uses, and are offered whole as the `cgi` extension (`CGIExtension` of
 * `@portico/server`). This file holds the FastCGI parts: the variable list of a finished
 * FCGI_PARAMS stream, the declared body length, and the `fastcgi` extension of the role.
 *
 * @module
 */
import { variableOf } from '@portico/server';
import type { FastCGIInfo } from '@portico/spec';
import { PorticoError } from '@portico/spec';
import { decodeNameValueList } from './name-value.js';
import { FCGI_AUTHORIZER, FCGI_FILTER, FCGI_RESPONDER } from './protocol.js';
import { FilterData, type RequestSlot } from './request-slot.js';

/** The CGI variables of one request, by name; values are byte strings. */
export type CGIVariables = Record<string, string>;

const ROLE_NAMES: Readonly<Record<number, FastCGIInfo['role']>> = {
  [FCGI_RESPONDER]: 'responder',
  [FCGI_AUTHORIZER]: 'authorizer',
  [FCGI_FILTER]: 'filter',
};

/**
 * The request body length the front end declares: `CONTENT_LENGTH` as a number, or -1 when it is
 * absent, empty or `-1` (nginx with `fastcgi_request_buffering off` and a chunked upload; Apache with
 * a chunked body; Caddy with a chunked body): the body is then the whole FCGI_STDIN stream.
 *
 * @throws PorticoError `ERR_BAD_REQUEST` (status 400) when it is not a decimal number
 */
export function declaredLength(value: string | undefined): number {
  // Caddy sends -1 for a chunked upload: the length is not known, as when it is absent.
  if (value === undefined || value === '' || value === '-1') return -1;
  if (!/^[0-9]{1,15}$/.test(value)) {
    throw new PorticoError('ERR_BAD_REQUEST', `CONTENT_LENGTH ${JSON.stringify(value)} is not a number`, {
      status: 400,
      value,
    });
  }
  return Number(value);
}

/** The name of a role (`FCGI_RESPONDER` ...), or `undefined` for a role this app does not play. */
export function roleName(role: number): FastCGIInfo['role'] | undefined {
  return ROLE_NAMES[role];
}

/**
 * The variable list of a finished FCGI_PARAMS stream (`pieces`: the records' contents in order) and
 * the body length it declares ({@link declaredLength}).
 *
 * @throws PorticoError `ERR_FCGI_BAD_RECORD` for a malformed name-value list; `ERR_BAD_REQUEST` for
 *   a CONTENT_LENGTH that is not a number
 */
export function decodeParams(pieces: readonly Uint8Array[]): { list: string[]; declared: number } {
  const bytes = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  // `SRV-FCGI-8`: the list keeps every pair in order; scopeFromVariableList and the cgi extension
  // keep the last value of a name sent twice, and make repeated HTTP_* names repeated headers.
  const list = decodeNameValueList(bytes);
  return { list, declared: declaredLength(variableOf(list, 'CONTENT_LENGTH')) };
}

/** A non-negative integer variable (FCGI_DATA_LENGTH), or `null` when absent or not a number. */
function numberParam(value: string | undefined): number | null {
  if (value === undefined || !/^[0-9]{1,15}$/.test(value)) return null;
  return Number(value);
}

/**
 * The `fastcgi` scope extension of a request: its role and id and, for a Filter, the FCGI_DATA
 * stream (section 6.4), which is attached to `slot` here.
 */
export function fastcgiExtension(slot: RequestSlot, list: readonly string[]): FastCGIInfo {
  const role = ROLE_NAMES[slot.role]!;
  if (slot.role !== FCGI_FILTER) return { role, requestId: slot.id };
  const data = new FilterData();
  slot.data = data;
  return {
    role,
    requestId: slot.id,
    data: {
      length: numberParam(variableOf(list, 'FCGI_DATA_LENGTH')),
      lastModified: numberParam(variableOf(list, 'FCGI_DATA_LAST_MOD')),
      receive: () => data.receive(),
    },
  };
}
