/**
 * From FCGI_PARAMS to a scope (spec/servers.md section 2, right-hand column; section 14): the CGI
 * variables a front end sends become an http scope by `scopeFromVariableList`, the mapping every
 * CGI-family adapter uses, and are offered whole as the `cgi` extension.
 *
 * @module
 */
import type { CGIInfo } from '@portico/spec';
import { PorticoError } from '@portico/spec';

/** The CGI variables of one request, by name; values are byte strings. */
export type CGIVariables = Record<string, string>;

/**
 * Turns a flat variable list `[name, value, ...]` into variables by name (`SRV-FCGI-8`). A name sent
 * twice keeps its **last** value (the rule of PHP-FPM and flup, so a config line that overrides an
 * included `fastcgi_params` line means what its author meant), except `HTTP_*` names: those are
 * repeated request header fields (nginx before 1.23 and HAProxy send one param per field), joined
 * as a CGI variable joins them, with `", "` (`"; "` for `HTTP_COOKIE`, RFC 6265 section 5.4).
 */
export function variablesFromList(list: readonly string[]): CGIVariables {
  const vars: CGIVariables = Object.create(null);
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    const prior = vars[name];
    if (prior !== undefined && name.startsWith('HTTP_'))
      vars[name] = `${prior}${name === 'HTTP_COOKIE' ? '; ' : ', '}${value}`;
    else vars[name] = value;
  }
  return vars;
}

/** The value of the last `name` in a flat variable list, or `undefined`. */
export function variableOf(list: readonly string[], name: string): string | undefined {
  for (let i = list.length - 2; i >= 0; i -= 2) if (list[i] === name) return list[i + 1];
  return undefined;
}

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

/**
 * The `cgi` extension of a request (spec/extensions.md section 6): `variables` is built from the
 * list when first read (most apps never read it), `stderr` writes FCGI_STDERR.
 */
export class CGIExtension implements CGIInfo {
  readonly stderr: (text: string) => void;
  private readonly list: readonly string[];
  private built: CGIVariables | null = null;

  constructor(list: readonly string[], stderr: (text: string) => void) {
    this.list = list;
    this.stderr = stderr;
  }

  /** Every variable the front end sent, by name (the last value of a name sent twice). */
  get variables(): CGIVariables {
    if (this.built === null) this.built = variablesFromList(this.list);
    return this.built;
  }
}
