/**
 * Bind addresses as given on the command line: `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH`, `fd://N`
 * (the gunicorn syntax).
 *
 * @module
 */
import { isIP } from 'node:net';
import { PorticoError } from '@portico/spec';

/** A TCP address to listen on. */
export interface TCPBind {
  readonly kind: 'tcp';
  /** Host name or IP address, IPv6 without brackets. */
  readonly host: string;
  /** Port, 0..65535; 0 picks a free port. */
  readonly port: number;
}

/** A unix domain socket path to listen on. */
export interface UnixBind {
  readonly kind: 'unix';
  readonly path: string;
}

/** An already-open listening socket inherited as a file descriptor (systemd, a supervisor). */
export interface FDBind {
  readonly kind: 'fd';
  readonly fd: number;
}

/** Where a server listens. */
export type Bind = TCPBind | UnixBind | FDBind;

/** The port used when a bind names only a host (gunicorn's default). */
export const DEFAULT_PORT = 8000;

function invalid(bind: string, why: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', `invalid bind ${JSON.stringify(bind)}: ${why}`, {
    expose: true,
  });
}

function parsePort(bind: string, text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw invalid(bind, `port ${JSON.stringify(text)} is not a number`);
  const port = Number(text);
  if (port > 65535) throw invalid(bind, `port ${port} is over 65535`);
  return port;
}

/**
 * Parses a bind address:
 * - `127.0.0.1:8000`, `localhost:8000`, `0.0.0.0:0` (port 0: any free port), `example` (port 8000);
 * - `[::1]:8000`, `[::]` (IPv6 in brackets);
 * - `unix:/run/app.sock` (a unix domain socket path);
 * - `fd://3` (an inherited listening socket).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` naming the bind and what is wrong with it
 */
export function parseBind(bind: string): Bind {
  if (typeof bind !== 'string' || bind === '') throw invalid(String(bind), 'empty');
  if (bind.startsWith('unix:')) {
    const path = bind.slice(5);
    if (path === '') throw invalid(bind, 'no socket path after "unix:"');
    if (path.includes('\0')) throw invalid(bind, 'the path contains NUL');
    return { kind: 'unix', path };
  }
  if (bind.startsWith('fd://')) {
    const text = bind.slice(5);
    if (!/^\d+$/.test(text)) throw invalid(bind, 'expected fd://N with N a file descriptor number');
    return { kind: 'fd', fd: Number(text) };
  }
  if (bind.startsWith('[')) {
    const close = bind.indexOf(']');
    if (close < 0) throw invalid(bind, 'missing "]" after the IPv6 address');
    const host = bind.slice(1, close);
    if (isIP(host) !== 6) throw invalid(bind, `${JSON.stringify(host)} is not an IPv6 address`);
    const rest = bind.slice(close + 1);
    if (rest === '') return { kind: 'tcp', host, port: DEFAULT_PORT };
    if (!rest.startsWith(':')) throw invalid(bind, 'expected ":PORT" after "]"');
    return { kind: 'tcp', host, port: parsePort(bind, rest.slice(1)) };
  }
  const colon = bind.lastIndexOf(':');
  if (colon < 0) return { kind: 'tcp', host: checkHost(bind, bind), port: DEFAULT_PORT };
  const host = bind.slice(0, colon);
  if (host.includes(':')) throw invalid(bind, 'IPv6 addresses go in brackets: [::1]:8000');
  return { kind: 'tcp', host: checkHost(bind, host), port: parsePort(bind, bind.slice(colon + 1)) };
}

function checkHost(bind: string, host: string): string {
  if (host === '') throw invalid(bind, 'no host before ":PORT"; use 0.0.0.0:PORT for all interfaces');
  if (!/^[A-Za-z0-9.\-_]+$/.test(host)) throw invalid(bind, `${JSON.stringify(host)} is not a host name`);
  return host;
}

/**
 * Formats where a server listens, for logs and `HTTPServer.addresses`: `http://127.0.0.1:8000`,
 * `http://[::1]:8000`, `unix:/run/app.sock`.
 *
 * @param scheme - the URL scheme for TCP addresses (`http`)
 */
export function formatAddress(
  scheme: string,
  address: { host: string; port: number } | { path: string },
): string {
  if ('path' in address) return `unix:${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${scheme}://${host}:${address.port}`;
}
