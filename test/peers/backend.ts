/**
 * Where a FastCGI backend listens, in the shapes the front-end harnesses (nginx.ts, haproxy.ts,
 * caddy.ts, cgi-fcgi.ts) take: a TCP address on loopback or a unix socket path. Any FastCGI
 * application server fits: php-fpm (php-fpm.ts) or Portico's `@portico/fastcgi`.
 */

/** A FastCGI backend: TCP `host:port` or a unix socket `path`. */
export type FcgiBackend = { host: string; port: number } | { path: string };

/**
 * Reads an address as `@portico/fastcgi`'s or `@portico/scgi`'s `server.addresses` lists it
 * (`fcgi://127.0.0.1:9000`, `scgi://127.0.0.1:4000`, `unix:/path`), or as a bare `127.0.0.1:9000` /
 * `/absolute/socket/path`.
 *
 * @throws Error on anything else
 */
export function parseBackend(address: string): FcgiBackend {
  if (address.startsWith('unix:')) return { path: address.slice('unix:'.length) };
  if (address.startsWith('/')) return { path: address };
  const hostPort = address.replace(/^(?:fcgi|scgi):\/\//, '').replace(/\/$/, '');
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(hostPort);
  if (match === null) throw new Error(`not a FastCGI or SCGI backend address: ${JSON.stringify(address)}`);
  return { host: match[1]!, port: Number(match[2]) };
}

/** `host:port` (IPv6 hosts in brackets) or the socket path: the form cgi-fcgi's `-connect` takes. */
export function backendString(backend: FcgiBackend): string {
  if ('path' in backend) return backend.path;
  return backend.host.includes(':') ? `[${backend.host}]:${backend.port}` : `${backend.host}:${backend.port}`;
}
