/**
 * cgi-fcgi (Debian's libfcgi-bin, the FastCGI reference library's CGI-to-FastCGI bridge) as the
 * simplest FastCGI client: one request per run, no HTTP in front.
 *
 * `cgi-fcgi -bind -connect <addr>` connects to a running FastCGI application, sends its own
 * environment as the FCGI_PARAMS of one Responder request and its standard input as FCGI_STDIN,
 * and writes FCGI_STDOUT to its stdout (the CGI response: headers, blank line, body) and
 * FCGI_STDERR to its stderr (FastCGI 1.0 spec, sections 5.1-5.3 and 6.2).
 */
import { spawn } from 'node:child_process';
import { backendString, type FcgiBackend, parseBackend } from './backend.js';
import { findBinary } from './peer.js';

/** The cgi-fcgi binary ('' when missing outside CI). */
export const cgiFcgiBinary = findBinary('cgi-fcgi', 'libfcgi-bin');

/** Options of {@link cgiFcgiRequest}. */
export interface CgiFcgiRequest {
  /**
   * `host:port`, a unix socket path, an address as `@portico/fastcgi` lists it (`fcgi://host:port`,
   * `unix:/path`), or an address object (backend.ts).
   */
  backend: string | FcgiBackend;
  /**
   * The FastCGI params, exactly: cgi-fcgi forwards its whole environment, so nothing else (no
   * PATH, no HOME) is sent. CONTENT_LENGTH defaults to `stdin`'s length when `stdin` is given:
   * cgi-fcgi reads only CONTENT_LENGTH bytes of its standard input.
   */
  env: Record<string, string>;
  /** The request body (FCGI_STDIN); default none. */
  stdin?: Buffer;
  /** Kill cgi-fcgi (SIGKILL) after this many ms; default 10 000. */
  timeoutMs?: number;
}

/** What one cgi-fcgi run gave back. */
export interface CgiFcgiResult {
  /** FCGI_STDOUT: the CGI response (header lines, an empty line, the body). */
  stdout: Buffer;
  /** FCGI_STDERR, and cgi-fcgi's own error messages. */
  stderr: string;
  /** cgi-fcgi's exit code (null when killed by a signal, e.g. on timeout). */
  code: number | null;
}

/**
 * Sends one FastCGI request with cgi-fcgi and collects the response.
 *
 * @throws Error when cgi-fcgi is not installed or cannot be spawned (a failed request is not
 *   thrown: see `code` and `stderr`)
 */
export async function cgiFcgiRequest(request: CgiFcgiRequest): Promise<CgiFcgiResult> {
  if (cgiFcgiBinary === '') throw new Error('cgi-fcgi is not installed (apt-get install libfcgi-bin)');
  const address = backendString(
    typeof request.backend === 'string' ? parseBackend(request.backend) : request.backend,
  );
  const env = { ...request.env };
  if (request.stdin !== undefined && env.CONTENT_LENGTH === undefined)
    env.CONTENT_LENGTH = String(request.stdin.length);
  const child = spawn(cgiFcgiBinary, ['-bind', '-connect', address], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => stdout.push(d));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // cgi-fcgi may exit before reading all of stdin (e.g. the app answered early): not an error.
  child.stdin.on('error', () => {});
  child.stdin.end(request.stdin ?? Buffer.alloc(0));
  const timer = setTimeout(() => child.kill('SIGKILL'), request.timeoutMs ?? 10_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode) => resolve(exitCode));
    });
    return { stdout: Buffer.concat(stdout), stderr, code };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Splits a CGI response (cgi-fcgi's stdout) into its header fields and body (RFC 3875 section 6).
 * Header names are lowercased; the `Status` field stays a header.
 */
export function parseCgiResponse(stdout: Buffer): { headers: Array<[string, string]>; body: Buffer } {
  let end = stdout.indexOf('\r\n\r\n');
  let separator = 4;
  const lf = stdout.indexOf('\n\n');
  if (end === -1 || (lf !== -1 && lf < end)) {
    end = lf;
    separator = 2;
  }
  if (end === -1) return { headers: [], body: stdout };
  const headers = stdout
    .subarray(0, end)
    .toString('latin1')
    .split(/\r?\n/)
    .filter((line) => line !== '')
    .map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    });
  return { headers, body: stdout.subarray(end + separator) };
}
