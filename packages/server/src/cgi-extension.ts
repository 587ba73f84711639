/**
 * The `cgi` scope extension (spec/extensions.md section 6) as the CGI-family adapters (FastCGI,
 * SCGI, CGI) offer it: the variables the front end sent, built into an object only when an app
 * first reads them (most never do), and the request's error stream.
 *
 * @module
 */
import type { CGIInfo } from '@portico/spec';

/**
 * Turns a flat variable list `[name, value, ...]` (byte strings, as `scopeFromVariableList` takes it)
 * into variables by name. A name sent twice keeps its **last** value (the rule of PHP-FPM and flup,
 * spec/servers.md SRV-FCGI-8, SRV-SCGI-5), except `HTTP_*` names: those are repeated request header
 * fields (nginx before 1.23 and HAProxy send one variable per field), joined as a CGI variable
 * joins them, with `", "` (`"; "` for `HTTP_COOKIE`, RFC 6265 section 5.4).
 */
export function variablesFromList(list: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = Object.create(null);
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

/** The `cgi` extension of one request. */
export class CGIExtension implements CGIInfo {
  /** Writes to the request's error stream; absent when the transport has none (SCGI). */
  readonly stderr?: (text: string) => void;
  private readonly list: readonly string[];
  private built: Record<string, string> | null = null;

  /**
   * @param list - the request's variables, `[name, value, ...]`
   * @param stderr - the request's error stream (FCGI_STDERR, a CGI program's standard error)
   */
  constructor(list: readonly string[], stderr?: (text: string) => void) {
    this.list = list;
    if (stderr !== undefined) this.stderr = stderr;
  }

  /** Every variable the front end sent, by name ({@link variablesFromList}). */
  get variables(): Record<string, string> {
    if (this.built === null) this.built = variablesFromList(this.list);
    return this.built;
  }
}
