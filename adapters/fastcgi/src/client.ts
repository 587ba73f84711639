/**
 * Portico's own FastCGI client: the web-server side of FastCGI 1.0, for tests, the soak test and the
 * Filter role, which no front end sends. It speaks records over one connection (TCP or a unix
 * socket), multiplexes requests by id, asks `FCGI_GET_VALUES`, and parses the CGI head of stdout
 * the way a web server does (RFC 3875 section 6.2).
 *
 * @module
 */
import { connect, type Socket } from 'node:net';
import { printable } from '@portico/spec';
import { decodeNameValuePairs, encodeNameValuePairs } from './name-value.js';
import {
  FCGI_ABORT_REQUEST,
  FCGI_DATA,
  FCGI_END_REQUEST,
  FCGI_GET_VALUES,
  FCGI_GET_VALUES_RESULT,
  FCGI_KEEP_CONN,
  FCGI_NULL_REQUEST_ID,
  FCGI_PARAMS,
  FCGI_RESPONDER,
  FCGI_STDERR,
  FCGI_STDIN,
  FCGI_STDOUT,
} from './protocol.js';
import {
  decodeEndRequest,
  encodeBeginRequest,
  encodeRecord,
  encodeStream,
  RecordDecoder,
} from './record-codec.js';

/** One request to send (FastCGI 1.0 section 5 and 6). */
export interface FastCGIRequest {
  /** Request id, 1..65535; assigned (1, 2, ...; the lowest free one after the last) when omitted. */
  requestId?: number;
  /** `FCGI_BeginRequestBody.role` (section 5.1): `FCGI_RESPONDER` (default), `FCGI_AUTHORIZER`, `FCGI_FILTER`, or any 0..65535. */
  role?: number;
  /** Set `FCGI_KEEP_CONN` (section 5.1): the application keeps the connection open after the request. Default `false`. */
  keepConn?: boolean;
  /** The CGI/1.1 variables, sent as the `FCGI_PARAMS` stream. Names and values are byte strings (U+0000..U+00FF). */
  params: Iterable<readonly [string, string]> | Record<string, string>;
  /**
   * The request body: each piece is sent as its own `FCGI_STDIN` record(s) (split at 65535 bytes; empty
   * pieces are left out, since an empty record ends the stream), then the empty record that ends the
   * stream, unless {@link omitStdin}.
   */
  stdin?: Uint8Array | Uint8Array[];
  /** The Filter role's file data (section 6.4): sent after stdin as `FCGI_DATA` records, then an empty one. Not sent when omitted. */
  data?: Uint8Array | Uint8Array[];
  /** Send no `FCGI_STDIN` at all, not even the empty record, as Apache's mod_authnz_fcgi does for an Authorizer. */
  omitStdin?: boolean;
  /**
   * Split the `FCGI_PARAMS` stream into records of at most this many content bytes (1..65535). As
   * Apache does (mod_proxy_fcgi, mod_authnz_fcgi: 16 KiB), records hold whole pairs; a pair larger
   * than this goes alone in its own record(s) (Apache drops it). Default: records of 65535 bytes,
   * cut wherever 65535 falls.
   */
  paramsRecordSize?: number;
  /**
   * With {@link paramsRecordSize}: cut the stream every `paramsRecordSize` bytes, inside pairs and
   * their lengths, as section 3.4 allows ("a name-value pair may span records"). php-fpm refuses
   * this (it parses each record on its own). Default `false`.
   */
  paramsSplitAnywhere?: boolean;
}

/** A request's whole answer: the streams, `FCGI_EndRequestBody`, and the CGI head parsed from stdout. */
export interface FastCGIResponse {
  /** The request id the answer came with. */
  requestId: number;
  /** All `FCGI_STDOUT` content, concatenated. */
  stdout: Buffer;
  /** All `FCGI_STDERR` content, concatenated. */
  stderr: Buffer;
  /** `FCGI_EndRequestBody.appStatus` (section 5.5), 0..2^32-1. */
  appStatus: number;
  /** `FCGI_EndRequestBody.protocolStatus` (section 5.5): `FCGI_REQUEST_COMPLETE` (0), `FCGI_CANT_MPX_CONN`, `FCGI_OVERLOADED`, `FCGI_UNKNOWN_ROLE`. */
  protocolStatus: number;
  /**
   * The HTTP status a web server would send: from the `Status` header; else 302 for a `Location`
   * holding an absolute URL; else 200. 502 when stdout has no complete, well-formed CGI head (nginx's
   * "upstream sent invalid header").
   */
  status: number;
  /** The head's header lines in order, as sent (names as written, values without surrounding blanks), `Status` included. */
  headers: [string, string][];
  /** Stdout after the blank line that ends the head (all of stdout when there is no head). */
  body: Buffer;
}

/** Where a FastCGI application listens: TCP (host defaults to 127.0.0.1) or a unix socket. */
export type FastCGIAddress = { host?: string; port: number } | { path: string };

/** Observer of every record received: type, request id and a copy of the content. */
export type RecordObserver = (type: number, requestId: number, content: Buffer) => void;

interface Pending {
  readonly stdout: Buffer[];
  readonly stderr: Buffer[];
  readonly resolve: (response: FastCGIResponse) => void;
  readonly reject: (err: Error) => void;
}

interface ValuesWaiter {
  readonly resolve: (values: Map<string, string>) => void;
  readonly reject: (err: Error) => void;
}

const EMPTY = new Uint8Array(0);

/**
 * A FastCGI client over one connection. Several requests may be in flight at once (multiplexing,
 * section 3.3); each one's answer is gathered by its request id.
 */
export class FastCGIClient {
  /** Called for every record received, before the client acts on it (to see `FCGI_UNKNOWN_TYPE`, say). */
  onRecord?: RecordObserver;
  /** Resolves once the connection is closed, by the application or by {@link close}. */
  readonly closed: Promise<void>;

  private readonly socket: Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly valuesWaiters: ValuesWaiter[] = [];
  private readonly decoder: RecordDecoder;
  private nextId = 1;
  private isClosed = false;
  /** Why the connection failed, when it did. */
  private failure: Error | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.decoder = new RecordDecoder((type, requestId, content) => this.receive(type, requestId, content));
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(printable(err));
        socket.destroy();
      }
    });
    socket.on('error', (err) => {
      this.failure ??= err;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        this.failAll();
        resolve();
      });
    });
  }

  /**
   * Opens a connection to a FastCGI application.
   *
   * @param address - `{ port, host? }` (host default `127.0.0.1`) or `{ path }` for a unix socket
   * @throws Error the connection error (ECONNREFUSED, ENOENT, ...)
   */
  static connect(address: FastCGIAddress): Promise<FastCGIClient> {
    return new Promise((resolve, reject) => {
      const socket =
        'path' in address
          ? connect({ path: address.path })
          : connect({ port: address.port, host: address.host ?? '127.0.0.1' });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new FastCGIClient(socket));
      });
    });
  }

  /**
   * Sends one request (`FCGI_BEGIN_REQUEST`, `FCGI_PARAMS`, `FCGI_STDIN`, `FCGI_DATA`; sections 5.1-5.3)
   * in one write and resolves with its answer at `FCGI_END_REQUEST`, whatever its `protocolStatus`.
   *
   * @throws Error (rejects) when the request id is already in flight or outside 1..65535, the
   *   connection is closed, or it closes before `FCGI_END_REQUEST` (the message says so)
   * @throws PorticoError `ERR_FCGI_BAD_RECORD` (rejects) when a param holds a character over U+00FF
   */
  request(req: FastCGIRequest): Promise<FastCGIResponse> {
    return new Promise((resolve, reject) => {
      if (this.isClosed) throw new Error('FastCGI connection is closed');
      const requestId = req.requestId ?? this.freeId();
      if (!Number.isInteger(requestId) || requestId < 1 || requestId > 0xffff)
        throw new Error(`request id ${requestId} is not 1..65535`);
      if (this.pending.has(requestId)) throw new Error(`request id ${requestId} is already in flight`);
      const bytes = encodeRequest(requestId, req);
      this.pending.set(requestId, { stdout: [], stderr: [], resolve, reject });
      this.socket.write(bytes);
    });
  }

  /**
   * Asks the application for variables (`FCGI_GET_VALUES`, section 4.1), such as `FCGI_MAX_CONNS`,
   * `FCGI_MAX_REQS` and `FCGI_MPXS_CONNS`; resolves with the `FCGI_GET_VALUES_RESULT` it answers.
   * Answers are matched to questions in order.
   *
   * @throws Error (rejects) when the connection closes first
   */
  getValues(names: readonly string[]): Promise<Map<string, string>> {
    return new Promise((resolve, reject) => {
      if (this.isClosed) throw new Error('FastCGI connection is closed');
      const content = encodeNameValuePairs(names.map((name) => [name, ''] as const));
      this.valuesWaiters.push({ resolve, reject });
      this.socket.write(encodeStream(FCGI_GET_VALUES, FCGI_NULL_REQUEST_ID, content));
    });
  }

  /** Sends `FCGI_ABORT_REQUEST` for a request (section 5.4); its promise still settles at `FCGI_END_REQUEST`. */
  abort(requestId: number): void {
    this.socket.write(encodeRecord(FCGI_ABORT_REQUEST, requestId));
  }

  /** Writes bytes as they are, for tests of malformed input. */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Closes the connection once pending writes are flushed; requests still in flight reject. */
  close(): void {
    if (this.isClosed) return;
    this.socket.end(() => this.socket.destroy());
  }

  /** The lowest id from `nextId` on that is not in flight (ids wrap from 65535 to 1). */
  private freeId(): number {
    for (let i = 0; i < 0xffff; i++) {
      const id = this.nextId;
      this.nextId = id === 0xffff ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
    throw new Error('all 65535 request ids are in flight');
  }

  private receive(type: number, requestId: number, view: Uint8Array): void {
    const content = Buffer.from(view); // a copy: the decoder may hand on a view of the socket chunk
    this.onRecord?.(type, requestId, content);
    if (type === FCGI_GET_VALUES_RESULT && requestId === FCGI_NULL_REQUEST_ID) {
      const waiter = this.valuesWaiters.shift();
      waiter?.resolve(new Map(decodeNameValuePairs(content)));
      return;
    }
    const pending = this.pending.get(requestId);
    if (pending === undefined) return;
    if (type === FCGI_STDOUT) pending.stdout.push(content);
    else if (type === FCGI_STDERR) pending.stderr.push(content);
    else if (type === FCGI_END_REQUEST) {
      this.pending.delete(requestId);
      const end = decodeEndRequest(content);
      const stdout = Buffer.concat(pending.stdout);
      pending.resolve({
        requestId,
        stdout,
        stderr: Buffer.concat(pending.stderr),
        appStatus: end.appStatus,
        protocolStatus: end.protocolStatus,
        ...parseCgiHead(stdout),
      });
    }
  }

  private failAll(): void {
    const cause = this.failure;
    for (const [id, pending] of this.pending) {
      pending.reject(
        new Error(`FastCGI connection closed before FCGI_END_REQUEST of request ${id}`, { cause }),
      );
    }
    this.pending.clear();
    for (const waiter of this.valuesWaiters.splice(0)) {
      waiter.reject(new Error('FastCGI connection closed before FCGI_GET_VALUES_RESULT', { cause }));
    }
  }
}

function pieces(input: Uint8Array | Uint8Array[] | undefined): Uint8Array[] {
  if (input === undefined) return [];
  return (Array.isArray(input) ? input : [input]).filter((p) => p.length > 0);
}

function paramEntries(params: FastCGIRequest['params']): Iterable<readonly [string, string]> {
  return Symbol.iterator in params ? (params as Iterable<readonly [string, string]>) : Object.entries(params);
}

/** The contents of the non-empty `FCGI_PARAMS` records (see {@link FastCGIRequest.paramsRecordSize}). */
function paramsRecords(
  pairs: Iterable<readonly [string, string]>,
  size: number | undefined,
  anywhere: boolean,
): Uint8Array[] {
  if (size === undefined) {
    const all = encodeNameValuePairs(pairs);
    return all.length === 0 ? [] : [all];
  }
  if (!Number.isInteger(size) || size < 1 || size > 0xffff)
    throw new Error(`paramsRecordSize ${size} is not 1..65535`);
  const out: Uint8Array[] = [];
  if (anywhere) {
    const all = encodeNameValuePairs(pairs);
    for (let at = 0; at < all.length; at += size) out.push(all.subarray(at, at + size));
    return out;
  }
  let group: Buffer[] = [];
  let groupSize = 0;
  for (const pair of pairs) {
    const encoded = encodeNameValuePairs([pair]);
    if (groupSize + encoded.length > size && group.length > 0) {
      out.push(Buffer.concat(group));
      group = [];
      groupSize = 0;
    }
    group.push(encoded);
    groupSize += encoded.length;
  }
  if (group.length > 0) out.push(Buffer.concat(group));
  return out;
}

/** The records of one request, in the order a web server sends them (sections 5.1-5.3, 6.4). */
function encodeRequest(requestId: number, req: FastCGIRequest): Buffer {
  const parts: Uint8Array[] = [
    encodeBeginRequest(requestId, req.role ?? FCGI_RESPONDER, req.keepConn === true ? FCGI_KEEP_CONN : 0),
  ];
  for (const content of paramsRecords(
    paramEntries(req.params),
    req.paramsRecordSize,
    req.paramsSplitAnywhere === true,
  )) {
    parts.push(encodeStream(FCGI_PARAMS, requestId, content));
  }
  parts.push(encodeRecord(FCGI_PARAMS, requestId, EMPTY));
  if (req.omitStdin !== true) {
    for (const piece of pieces(req.stdin)) parts.push(encodeStream(FCGI_STDIN, requestId, piece));
    parts.push(encodeRecord(FCGI_STDIN, requestId, EMPTY));
  }
  if (req.data !== undefined) {
    for (const piece of pieces(req.data)) parts.push(encodeStream(FCGI_DATA, requestId, piece));
    parts.push(encodeRecord(FCGI_DATA, requestId, EMPTY));
  }
  return Buffer.concat(parts);
}

const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** Blanks around a header value (spaces and tabs only: `trim()` would also eat U+00A0, a Latin-1 byte). */
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;

/**
 * Parses the CGI head at the start of a response (RFC 3875 section 6.2-6.3): header lines up to a
 * blank line, each ended by CRLF or LF. The status comes from `Status: 404 Not Found`; without it,
 * a `Location` holding an absolute URL gives 302 (client redirect, section 6.2.3), else 200. No
 * blank line, a line without a colon, or a `Status` that is not three digits gives 502.
 */
export function parseCgiHead(stdout: Buffer): Pick<FastCGIResponse, 'status' | 'headers' | 'body'> {
  const headers: [string, string][] = [];
  let at = 0;
  for (;;) {
    const lf = stdout.indexOf(0x0a, at);
    if (lf === -1) return { status: 502, headers: [], body: stdout };
    const lineEnd = lf > at && stdout[lf - 1] === 0x0d ? lf - 1 : lf;
    const line = stdout.toString('latin1', at, lineEnd);
    at = lf + 1;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) return { status: 502, headers, body: stdout.subarray(at) };
    headers.push([line.slice(0, colon), line.slice(colon + 1).replace(OWS_EDGES, '')]);
  }
  const body = stdout.subarray(at);
  const status = headers.find(([name]) => name.toLowerCase() === 'status')?.[1];
  if (status !== undefined) {
    const match = /^(\d{3})(?:\s|$)/.exec(status);
    return { status: match === null ? 502 : Number(match[1]), headers, body };
  }
  const location = headers.find(([name]) => name.toLowerCase() === 'location')?.[1];
  return { status: location !== undefined && ABSOLUTE_URL.test(location) ? 302 : 200, headers, body };
}
