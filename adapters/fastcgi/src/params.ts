/**
 * From FCGI_PARAMS to a scope (spec/servers.md section 2, right-hand column): the CGI variables a
 * front end sends become an http scope by `scopeFromEnviron`, the same mapping every CGI-family
 * adapter uses.
 *
 * @module
 */
import type { Extensions, HTTPScope, State } from '@portico/spec';
import { PorticoError, scopeFromEnviron } from '@portico/spec';
import type { NameValuePair } from './name-value.js';

/** The CGI variables of one request, by name; values are byte strings. */
export type CGIVariables = Record<string, string>;

/**
 * Turns decoded FCGI_PARAMS pairs into variables. A name sent twice keeps its **last** value (`SRV-FCGI-8`: the
 * rule of PHP-FPM and flup, so a config that overrides a stock `fastcgi_params` line with a later
 * one means what its author meant).
 */
export function variablesFromPairs(pairs: readonly NameValuePair[]): CGIVariables {
  const vars: CGIVariables = Object.create(null);
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    vars[pair[0]] = pair[1];
  }
  return vars;
}

/** A byte string holding UTF-8 (as CGI variables do), decoded; invalid sequences become U+FFFD. */
function decodeUtf8(bytes: string): string {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes.charCodeAt(i) > 0x7f) return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return bytes;
}

/**
 * The request body length the front end declares: `CONTENT_LENGTH` as a number, or -1 when it is
 * absent, empty or `-1` (nginx with `fastcgi_request_buffering off` and a chunked upload; Apache with
 * a chunked body; Caddy with a chunked body): the body is then the whole FCGI_STDIN stream.
 *
 * @throws PorticoError `ERR_BAD_REQUEST` (status 400) when it is not a decimal number
 */
export function declaredLength(vars: CGIVariables): number {
  const value = vars.CONTENT_LENGTH;
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

/**
 * Builds the http scope of a request from its variables. `SCRIPT_NAME` and `PATH_INFO` are byte
 * strings on the wire and decoded Unicode strings in an environ (spec/servers.md section 4), so they
 * are decoded from UTF-8 first; `rawPath` comes from `REQUEST_URI` undecoded.
 *
 * @param rootPath - the configured mount point, replacing `SCRIPT_NAME` when not `null`
 */
export function scopeFromParams(
  vars: CGIVariables,
  rootPath: string | null,
  state: State,
  extensions: Extensions,
): HTTPScope {
  const scriptName = vars.SCRIPT_NAME;
  const pathInfo = vars.PATH_INFO;
  let view: Record<string, unknown> = vars;
  const decodedScript = scriptName === undefined ? undefined : decodeUtf8(scriptName);
  const decodedInfo = pathInfo === undefined ? undefined : decodeUtf8(pathInfo);
  if (
    decodedScript !== scriptName ||
    decodedInfo !== pathInfo ||
    vars.CONTENT_LENGTH === '-1' ||
    vars.HTTP_TRANSFER_ENCODING !== undefined ||
    vars.HTTP_CONTENT_LENGTH !== undefined
  ) {
    const copy: Record<string, unknown> = { ...vars };
    if (decodedScript !== undefined) copy.SCRIPT_NAME = decodedScript;
    if (decodedInfo !== undefined) copy.PATH_INFO = decodedInfo;
    // The web server owns the framing: the body reaches the app de-chunked, its length is
    // CONTENT_LENGTH or unknown. Caddy's `-1` means unknown; a forwarded Transfer-Encoding (nginx) or
    // a copy of the length (Caddy's HTTP_CONTENT_LENGTH) would describe bytes the app never sees.
    if (vars.CONTENT_LENGTH === '-1') delete copy.CONTENT_LENGTH;
    delete copy.HTTP_TRANSFER_ENCODING;
    delete copy.HTTP_CONTENT_LENGTH;
    view = copy;
  }
  return scopeFromEnviron(view, rootPath === null ? { state, extensions } : { state, extensions, rootPath });
}
