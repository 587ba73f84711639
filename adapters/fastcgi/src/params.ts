/**
 * From FCGI_PARAMS to a scope (spec/servers.md section 2, right-hand column; section 14): the CGI
 * variables a front end sends become an http scope by `scopeFromVariableList`, the mapping every
 * CGI-family adapter uses, and are offered whole as the `cgi` extension (`CGIExtension` of
 * `@portico/server`).
 *
 * @module
 */
import { PorticoError } from '@portico/spec';

/** The CGI variables of one request, by name; values are byte strings. */
export type CGIVariables = Record<string, string>;

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
