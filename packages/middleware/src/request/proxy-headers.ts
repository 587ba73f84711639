/**
 * The `proxyHeaders()` middleware: the client address, scheme and (optionally) host a trusted
 * reverse proxy reports in `Forwarded` (RFC 7239) or `X-Forwarded-*`.
 *
 * @module
 */

import { BlockList, isIP } from 'node:net';
import {
  type Address,
  type App,
  type AsyncApp,
  asyncApp,
  type Header,
  type HTTPScope,
  PorticoError,
  type WebSocketScope,
} from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { headerValue } from '../shared/headers.js';
import { type ForwardedElement, parseForwarded, parseNode } from './forwarded.js';

/** Options of {@link proxyHeaders}. */
export interface ProxyHeadersOptions {
  /**
   * The proxies to believe: IPv4/IPv6 addresses (`'10.0.0.7'`, `'::1'`), CIDR blocks
   * (`'10.0.0.0/8'`, `'fd00::/8'`), `'unix'` (requests that came over a unix socket, whose
   * `server` is `[path, null]`), or `'*'` (every peer: only when nothing else can reach the
   * server). Default `['127.0.0.1', '::1']` (a proxy on the same host, uvicorn's default).
   */
  trusted?: readonly string[];
  /**
   * Which headers to read: `'x-forwarded'` (X-Forwarded-For/-Proto/-Host/-Port; the default, as
   * uvicorn), `'forwarded'` (RFC 7239 only), or `'both'` (`Forwarded` when the request has one,
   * else `X-Forwarded-*`).
   */
  headers?: 'forwarded' | 'x-forwarded' | 'both';
  /**
   * Also take the host the client asked for from `X-Forwarded-Host` (+ `X-Forwarded-Port`) or the
   * `host` parameter of `Forwarded`: the app then sees it as the `host` header and as `server`.
   * Default `false` (a proxy usually passes `Host` through unchanged).
   */
  trustHost?: boolean;
}

/** Decides whether an address (or a unix-socket request) is a trusted proxy. */
interface Trust {
  readonly all: boolean;
  readonly unix: boolean;
  readonly list: BlockList;
  /**
   * Answers already given, by address: `BlockList.check` builds a `SocketAddress` per call (about
   * 1 us), and a server sees the same few proxy addresses again and again. Bounded: cleared when full.
   */
  readonly known: Map<string, boolean>;
}

/** Most addresses {@link Trust.known} remembers before it starts over. */
const KNOWN_ADDRESSES = 1024;

function invalid(message: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', message);
}

function buildTrust(entries: readonly string[]): Trust {
  if (!Array.isArray(entries)) throw invalid('option trusted of proxyHeaders() must be an array of strings');
  const list = new BlockList();
  let all = false;
  let unix = false;
  for (const entry of entries) {
    if (typeof entry !== 'string') throw invalid(`option trusted: not a string: ${String(entry)}`);
    const e = entry.trim();
    if (e === '*') all = true;
    else if (e === 'unix') unix = true;
    else if (e.includes('/')) {
      const [net = '', bits = ''] = e.split('/');
      const family = isIP(net);
      const max = family === 4 ? 32 : 128;
      if (family === 0 || !/^[0-9]{1,3}$/.test(bits) || Number(bits) > max) {
        throw invalid(`option trusted: not an address, CIDR block, 'unix' or '*': ${JSON.stringify(entry)}`);
      }
      list.addSubnet(net, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    } else {
      const family = isIP(e);
      if (family === 0) {
        throw invalid(`option trusted: not an address, CIDR block, 'unix' or '*': ${JSON.stringify(entry)}`);
      }
      list.addAddress(e, family === 4 ? 'ipv4' : 'ipv6');
    }
  }
  return { all, unix, list, known: new Map() };
}

function trustsAddress(trust: Trust, host: string): boolean {
  if (trust.all) return true;
  const known = trust.known.get(host);
  if (known !== undefined) return known;
  const family = isIP(host);
  const trusted = family !== 0 && trust.list.check(host, family === 4 ? 'ipv4' : 'ipv6');
  if (trust.known.size >= KNOWN_ADDRESSES) trust.known.clear();
  trust.known.set(host, trusted);
  return trusted;
}

function trustsPeer(trust: Trust, scope: HTTPScope | WebSocketScope): boolean {
  if (trust.all) return true;
  if (scope.server !== null && scope.server[1] === null) return trust.unix;
  return scope.client !== null && trustsAddress(trust, scope.client[0]);
}

/** What the proxies said about the client's side of the first hop. */
interface Forwarded {
  /** `undefined`: keep the peer; `null`: the proxy says unknown / hidden. */
  client: Address | null | undefined;
  proto: string | undefined;
  host: string | undefined;
  port: string | undefined;
}

/** Comma-separated list entries, trimmed, empty ones dropped. */
function list(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * The entry of a per-hop list (`X-Forwarded-Proto`, `-Host`, `-Port`) that belongs to the hop chosen
 * in X-Forwarded-For: the same position when the list is as long as X-Forwarded-For (every proxy
 * appended), else the last entry (the nearest proxy, which is trusted, set it).
 */
function aligned(values: readonly string[], index: number, length: number): string | undefined {
  if (values.length === 0) return undefined;
  if (values.length === length && index >= 0) return values[index];
  return values[values.length - 1];
}

function fromXForwarded(trust: Trust, headers: readonly Header[]): Forwarded | undefined {
  const hops = list(headerValue(headers, 'x-forwarded-for'));
  const protos = list(headerValue(headers, 'x-forwarded-proto'));
  const hosts = list(headerValue(headers, 'x-forwarded-host'));
  const ports = list(headerValue(headers, 'x-forwarded-port'));
  if (hops.length + protos.length + hosts.length + ports.length === 0) return undefined;
  let index = -1;
  let client: Address | null | undefined;
  if (hops.length > 0) {
    // Right to left: each proxy appends the peer it saw. The first hop we do not trust is the
    // client; when every hop is trusted, the leftmost is (uvicorn >= 0.30, Rack).
    index = 0;
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!trustsAddress(trust, nodeHost(hops[i] as string))) {
        index = i;
        break;
      }
    }
    const node = parseNode(hops[index] as string);
    client = node.kind === 'ip' ? [node.host, node.port ?? 0] : null;
  }
  return {
    client,
    proto: aligned(protos, index, hops.length),
    host: aligned(hosts, index, hops.length),
    port: aligned(ports, index, hops.length),
  };
}

function nodeHost(value: string): string {
  const node = parseNode(value);
  return node.kind === 'ip' ? node.host : value;
}

function fromForwarded(trust: Trust, headers: readonly Header[]): Forwarded | undefined {
  const elements = parseForwarded(headerValue(headers, 'forwarded'));
  if (elements.length === 0) return undefined;
  let chosen: ForwardedElement = elements[0] as ForwardedElement;
  for (let i = elements.length - 1; i >= 0; i--) {
    const element = elements[i] as ForwardedElement;
    const by = element.for;
    if (by === undefined || !trustsAddress(trust, nodeHost(by))) {
      chosen = element;
      break;
    }
  }
  let client: Address | null | undefined;
  if (chosen.for !== undefined) {
    const node = parseNode(chosen.for);
    client = node.kind === 'ip' ? [node.host, node.port ?? 0] : null;
  }
  return { client, proto: chosen.proto, host: chosen.host, port: undefined };
}

// RFC 3986 section 3.2.2 host, loosely: a reg-name/IPv4 or an IPv6 literal in brackets, then a port.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::[0-9]{1,5})?$/;

/** Splits a valid host (`name`, `name:port`, `[v6]:port`) into the name (no brackets) and port text. */
function splitHost(host: string): [name: string, port: string] {
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return [host.slice(1, close), host.slice(close + 2)];
  }
  const colon = host.lastIndexOf(':');
  return colon < 0 ? [host, ''] : [host.slice(0, colon), host.slice(colon + 1)];
}

function schemeFor(type: 'http' | 'websocket', proto: string | undefined): string | undefined {
  switch (proto?.toLowerCase()) {
    case 'https':
    case 'wss':
      return type === 'http' ? 'https' : 'wss';
    case 'http':
    case 'ws':
      return type === 'http' ? 'http' : 'ws';
    default:
      return undefined;
  }
}

/**
 * The copy of `scope` the app gets: `client`, `scheme` and (with `trustHost`) the `host` header and
 * `server` as the proxy reported them. Returns `scope` itself when nothing applies.
 */
function forwardedScope<S extends HTTPScope | WebSocketScope>(
  scope: S,
  trust: Trust,
  mode: 'forwarded' | 'x-forwarded' | 'both',
  trustHost: boolean,
): S {
  if (!trustsPeer(trust, scope)) return scope; // a client may send these headers too: ignore them
  const { headers } = scope;
  let found: Forwarded | undefined;
  if (mode !== 'x-forwarded') found = fromForwarded(trust, headers);
  if (found === undefined && mode !== 'forwarded') found = fromXForwarded(trust, headers);
  if (found === undefined) return scope;
  const copy: { -readonly [K in keyof S]: S[K] } = { ...scope };
  if (found.client !== undefined) copy.client = found.client;
  const scheme = schemeFor(scope.type, found.proto);
  if (scheme !== undefined) copy.scheme = scheme;
  if (trustHost && found.host !== undefined && HOST.test(found.host)) {
    const [name, own] = splitHost(found.host);
    const portText =
      own !== '' ? own : found.port !== undefined && /^[0-9]{1,5}$/.test(found.port) ? found.port : '';
    const secure = copy.scheme === 'https' || copy.scheme === 'wss';
    const port = portText === '' ? (secure ? 443 : 80) : Number(portText);
    if (port <= 65535) {
      const hostName = name.includes(':') ? `[${name}]` : name;
      const hostHeader = portText === '' ? hostName : `${hostName}:${port}`;
      copy.server = [name, port];
      copy.headers = [['host', hostHeader], ...headers.filter(([n]) => n !== 'host')];
    }
  }
  return copy as S;
}

/**
 * Believes a trusted reverse proxy about the client: for `http` and `websocket` scopes whose direct
 * peer (`scope.client`, or a unix socket) is in `trusted`, the app gets a copy of the scope with
 * - `client`: the first untrusted address, walking `X-Forwarded-For` (or the `for=` of the
 *   `Forwarded` elements) from right to left and skipping trusted proxies; the leftmost when all
 *   are trusted. `[address, port]`, the port `0` when the header has none (X-Forwarded-For never
 *   has). `null` when that hop is `unknown`, obfuscated (`_hidden`, RFC 7239 section 6.3) or not an
 *   address. A `Forwarded` element without `for` leaves `client` as it was.
 * - `scheme`: from `X-Forwarded-Proto` (the entry of the chosen hop when the list is as long as
 *   X-Forwarded-For, else the last) or the chosen element's `proto`; `http`/`https` for http
 *   scopes, `ws`/`wss` for websocket scopes; other values are ignored.
 * - with `trustHost`: the `host` header and `server` (`[name, port]`, the port from the host, else
 *   `X-Forwarded-Port`, else 443/80 by scheme) from `X-Forwarded-Host` or the element's `host`.
 *
 * From an untrusted peer the headers are ignored (anyone can send them). A sync app sees the result
 * through the bridge as `REMOTE_ADDR`/`REMOTE_PORT`, `portico.url_scheme`, `HTTP_HOST` and
 * `SERVER_NAME`/`SERVER_PORT`. Lifespan and other scopes pass through (MW-PASS-1); the scope given is
 * never changed (MW-SCOPE-1). Addresses and CIDR blocks are matched by node:net `BlockList`
 * (IPv4-mapped IPv6 addresses match their IPv4 entries). Header parsing never throws.
 *
 * Sources: RFC 7239 sections 4-6; uvicorn `ProxyHeadersMiddleware` (>= 0.30) for the walk.
 *
 * @param options - see {@link ProxyHeadersOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for a `trusted` entry that is not an address, CIDR
 *   block, `'unix'` or `'*'`, or a bad `headers` value (when called, not per request)
 */
export function proxyHeaders(options: ProxyHeadersOptions = {}): (app: App) => AsyncApp {
  const trust = buildTrust(options.trusted ?? ['127.0.0.1', '::1']);
  const mode = options.headers ?? 'x-forwarded';
  if (mode !== 'forwarded' && mode !== 'x-forwarded' && mode !== 'both') {
    throw invalid(`option headers must be 'forwarded', 'x-forwarded' or 'both': ${String(mode)}`);
  }
  const trustHost = options.trustHost ?? false;
  if (typeof trustHost !== 'boolean') throw invalid('option trustHost must be a boolean');
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to proxyHeaders()');
    return asyncApp(async function proxyHeadersApp(scope, receive, send) {
      if (scope.type !== 'http' && scope.type !== 'websocket') return inner(scope, receive, send);
      return inner(forwardedScope(scope, trust, mode, trustHost), receive, send);
    });
  };
}
