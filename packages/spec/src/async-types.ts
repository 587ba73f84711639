/**
 * The async interface, as types: scopes, events, `receive`, `send` and the app signature.
 * The normative text is `spec/async.md`; rule ids in these comments (`ASYNC-HTTP-4`) point there.
 *
 * @module
 */

/**
 * A byte string: a JS string in which every code unit is in 0..255 and stands for one byte
 * (ISO-8859-1 / Latin-1 code points). Header names and values, `rawPath` and `queryString` are byte
 * strings (spec/async.md "Byte strings").
 */
export type ByteString = string;

/** One header as `[name, value]`; in a scope or event the name is lowercase (ASYNC-HDR-2). */
export type Header = readonly [name: ByteString, value: ByteString];

/** A header list: order and duplicates are kept (spec/async.md "Headers"). */
export type HeaderList = readonly Header[];

/** The `spec` key of every scope: the interface version and the version of the scope's own spec. */
export interface SpecInfo {
  /** Interface version, `"1.0"` for this release. */
  readonly version: string;
  /** Version of the scope type's spec (`"1.0"`). */
  readonly specVersion: string;
}

/** Per-request (or lifespan) state, the one documented home for values a layer hands to the next. */
export type State = Record<string, unknown>;

/** `[host, port]`; `host` may be a unix socket path with port `null` for `server`. */
export type Address = readonly [host: string, port: number];

/** Optional features the server offers, by name (spec/extensions.md). */
export interface Extensions {
  /** Response trailers: the app may send `http.response.trailers` (spec/extensions.md "Trailers"). */
  'http.response.trailers'?: Record<string, never>;
  /** 103 Early Hints: the app may send `http.response.early_hints`. */
  'http.response.early_hints'?: Record<string, never>;
  /** Path send: the app may send `http.response.pathsend` to have a file sent by the server. */
  'http.response.pathsend'?: Record<string, never>;
  /** TLS connection details. */
  tls?: TLSInfo;
  /** The CGI variables a CGI-family front end sent, and the request's error stream (spec/extensions.md "CGI variables"). */
  cgi?: CGIInfo;
  /** The FastCGI role of the request, and the Filter role's data stream (spec/extensions.md "FastCGI roles"). */
  fastcgi?: FastCGIInfo;
  /** Any other extension; servers and apps ignore names they do not know (ASYNC-GEN-3). */
  [name: string]: unknown;
}

/** The `cgi` extension (spec/extensions.md section 6). */
export interface CGIInfo {
  /**
   * Every CGI variable the front end sent, by name, values as received (byte strings: one character
   * per byte). A name sent twice holds the value the adapter kept (FastCGI: the last one).
   */
  readonly variables: Readonly<Record<string, string>>;
  /**
   * Writes to the request's error stream (FastCGI: FCGI_STDERR records; CGI: the process's standard
   * error), UTF-8 encoded. Absent when the transport has none.
   */
  readonly stderr?: (text: string) => void;
}

/** A piece of the Filter role's FCGI_DATA stream. */
export interface FastCGIDataEvent {
  /** The bytes; may be empty. */
  readonly body: Uint8Array;
  /** `false` on the last piece. */
  readonly moreBody: boolean;
}

/** The `fastcgi` extension (spec/extensions.md section 7; FastCGI 1.0 section 6). */
export interface FastCGIInfo {
  /** The request's role: `"responder"`, `"authorizer"` or `"filter"`. */
  readonly role: 'responder' | 'authorizer' | 'filter';
  /** The FastCGI request id, 1..65535. */
  readonly requestId: number;
  /** The Filter role's file (FCGI_DATA); present exactly when `role` is `"filter"`. */
  readonly data?: {
    /** `FCGI_DATA_LENGTH`: the file's size in bytes, or `null` when the web server did not send it. */
    readonly length: number | null;
    /** `FCGI_DATA_LAST_MOD`: the file's modification time in seconds since the epoch, or `null`. */
    readonly lastModified: number | null;
    /** The next piece of the FCGI_DATA stream; after the last, empty last pieces. */
    receive(): Promise<FastCGIDataEvent>;
  };
}

/** The `tls` extension: what the server knows about the TLS connection. */
export interface TLSInfo {
  /** The server's certificate, PEM, or `null`. */
  readonly serverCert: string | null;
  /** The client's certificate chain, PEM, leaf first; empty when none was sent. */
  readonly clientCertChain: readonly string[];
  /** The client certificate's subject as an RFC 4514 string, or `null`. */
  readonly clientCertName: string | null;
  /** TLS version, e.g. `"TLSv1.3"`. */
  readonly tlsVersion: string | null;
  /** Cipher suite name, e.g. `"TLS_AES_128_GCM_SHA256"`. */
  readonly cipherSuite: string | null;
}

interface ConnectionScope {
  /** Interface and spec version (ASYNC-SCOPE-1). */
  readonly spec: SpecInfo;
  /** `"1.0"`, `"1.1"`, `"2"` or `"3"`. */
  readonly httpVersion: '1.0' | '1.1' | '2' | '3';
  /**
   * The request path that remains after `rootPath`, percent-decoded and UTF-8-decoded
   * (invalid sequences become U+FFFD). Starts with `/` or is empty (ASYNC-SCOPE-4).
   */
  readonly path: string;
  /** The whole request path as sent, undecoded, without the query, rootPath included (byte string). */
  readonly rawPath: ByteString;
  /** The query string as sent, without `?`, undecoded (byte string); `""` when absent. */
  readonly queryString: ByteString;
  /** The decoded path prefix the app is mounted at; `""` or starts with `/`, never ends with `/`. */
  readonly rootPath: string;
  /** Request headers, names lowercase, order and duplicates kept (ASYNC-HDR-*). */
  readonly headers: HeaderList;
  /** Remote `[host, port]`, or `null` when unknown. */
  readonly client: Address | null;
  /** Local `[host, port]`, `[path, null]` for a unix socket, or `null` when unknown. */
  readonly server: readonly [host: string, port: number | null] | null;
  /** Per-request state: a fresh shallow copy of the lifespan state for each request. */
  readonly state: State;
  /** Optional features offered by the server (spec/extensions.md). */
  readonly extensions: Extensions;
}

/** The scope of one HTTP request (spec/async.md "HTTP"). */
export interface HTTPScope extends ConnectionScope {
  readonly type: 'http';
  /** The request method, uppercase as sent (e.g. `"GET"`). */
  readonly method: string;
  /** URL scheme: `"http"` or `"https"`. */
  readonly scheme: string;
}

/** The scope of one WebSocket connection (spec/async.md "WebSocket"). */
export interface WebSocketScope extends ConnectionScope {
  readonly type: 'websocket';
  /** URL scheme: `"ws"` or `"wss"`. */
  readonly scheme: string;
  /** Subprotocols the client offered, in order. */
  readonly subprotocols: readonly string[];
}

/** The scope of the process's lifespan (spec/async.md "Lifespan"). */
export interface LifespanScope {
  readonly type: 'lifespan';
  readonly spec: SpecInfo;
  /** State the app fills at startup; each request's `state` starts as a shallow copy of it. */
  readonly state: State;
}

/** Any scope. Servers and apps must pass through or refuse scope types they do not know. */
export type Scope = HTTPScope | WebSocketScope | LifespanScope;

// ---- HTTP events --------------------------------------------------------------------------------

/** A piece of the request body. `moreBody: false` marks the last one. */
export interface HTTPRequestEvent {
  readonly type: 'http.request';
  /** Body bytes; may be empty. */
  readonly body: Uint8Array;
  /** Whether more body follows. */
  readonly moreBody: boolean;
}

/** The client went away, or the response is complete and the app called `receive()` again. */
export interface HTTPDisconnectEvent {
  readonly type: 'http.disconnect';
}

/** Starts the response. Nothing reaches the client until the first body event (ASYNC-HTTP-*). */
export interface HTTPResponseStartEvent {
  readonly type: 'http.response.start';
  /** Status code, an integer 100..599 other than 101 (use the websocket scope). */
  readonly status: number;
  /** Response headers; names may be any case; values byte strings without CR, LF or NUL. */
  readonly headers?: HeaderList;
  /** `true` when the app will send `http.response.trailers` (needs the trailers extension). */
  readonly trailers?: boolean;
}

/** A piece of the response body. `moreBody` false (the default) ends the body. */
export interface HTTPResponseBodyEvent {
  readonly type: 'http.response.body';
  /** Body bytes; defaults to empty. */
  readonly body?: Uint8Array;
  /** Whether more body follows; defaults to `false`. */
  readonly moreBody?: boolean;
}

/** Trailers, after the last body event (extension `http.response.trailers`). */
export interface HTTPResponseTrailersEvent {
  readonly type: 'http.response.trailers';
  readonly headers?: HeaderList;
  /** Whether more trailers follow; defaults to `false`. */
  readonly moreTrailers?: boolean;
}

/** A 103 Early Hints response before `http.response.start` (extension `http.response.early_hints`). */
export interface HTTPResponseEarlyHintsEvent {
  readonly type: 'http.response.early_hints';
  /** Headers of the 103 response, typically `link`. */
  readonly headers: HeaderList;
}

/** Sends the file at `path` as the whole body (extension `http.response.pathsend`). */
export interface HTTPResponsePathsendEvent {
  readonly type: 'http.response.pathsend';
  /** Absolute path of a regular file. */
  readonly path: string;
}

// ---- WebSocket events ---------------------------------------------------------------------------

export interface WebSocketConnectEvent {
  readonly type: 'websocket.connect';
}
export interface WebSocketAcceptEvent {
  readonly type: 'websocket.accept';
  readonly subprotocol?: string | null;
  readonly headers?: HeaderList;
}
export interface WebSocketReceiveEvent {
  readonly type: 'websocket.receive';
  /** Exactly one of `bytes` and `text` is set. */
  readonly bytes?: Uint8Array | null;
  readonly text?: string | null;
}
export interface WebSocketSendEvent {
  readonly type: 'websocket.send';
  /** Exactly one of `bytes` and `text` is set. */
  readonly bytes?: Uint8Array | null;
  readonly text?: string | null;
}
export interface WebSocketDisconnectEvent {
  readonly type: 'websocket.disconnect';
  /** Close code (RFC 6455 section 7.4); 1005 when none was given. */
  readonly code: number;
  readonly reason?: string;
}
export interface WebSocketCloseEvent {
  readonly type: 'websocket.close';
  /** Close code; defaults to 1000. */
  readonly code?: number;
  readonly reason?: string;
}

// ---- Lifespan events ----------------------------------------------------------------------------

export interface LifespanStartupEvent {
  readonly type: 'lifespan.startup';
}
export interface LifespanShutdownEvent {
  readonly type: 'lifespan.shutdown';
}
export interface LifespanStartupCompleteEvent {
  readonly type: 'lifespan.startup.complete';
}
export interface LifespanStartupFailedEvent {
  readonly type: 'lifespan.startup.failed';
  readonly message?: string;
}
export interface LifespanShutdownCompleteEvent {
  readonly type: 'lifespan.shutdown.complete';
}
export interface LifespanShutdownFailedEvent {
  readonly type: 'lifespan.shutdown.failed';
  readonly message?: string;
}

// ---- Unions and callables -----------------------------------------------------------------------

/** What `receive()` resolves to in an HTTP scope. */
export type HTTPReceiveEvent = HTTPRequestEvent | HTTPDisconnectEvent;
/** What `send()` takes in an HTTP scope. */
export type HTTPSendEvent =
  | HTTPResponseStartEvent
  | HTTPResponseBodyEvent
  | HTTPResponseTrailersEvent
  | HTTPResponseEarlyHintsEvent
  | HTTPResponsePathsendEvent;
/** What `receive()` resolves to in a websocket scope. */
export type WebSocketReceiveEventUnion =
  | WebSocketConnectEvent
  | WebSocketReceiveEvent
  | WebSocketDisconnectEvent;
/** What `send()` takes in a websocket scope. */
export type WebSocketSendEventUnion = WebSocketAcceptEvent | WebSocketSendEvent | WebSocketCloseEvent;
/** What `receive()` resolves to in a lifespan scope. */
export type LifespanReceiveEvent = LifespanStartupEvent | LifespanShutdownEvent;
/** What `send()` takes in a lifespan scope. */
export type LifespanSendEvent =
  | LifespanStartupCompleteEvent
  | LifespanStartupFailedEvent
  | LifespanShutdownCompleteEvent
  | LifespanShutdownFailedEvent;

/** Any event `receive()` can return. */
export type ReceiveEvent = HTTPReceiveEvent | WebSocketReceiveEventUnion | LifespanReceiveEvent;
/** Any event `send()` can take. */
export type SendEvent = HTTPSendEvent | WebSocketSendEventUnion | LifespanSendEvent;

/** Waits for the next event from the server. */
export type Receive = () => Promise<ReceiveEvent>;
/**
 * Hands an event to the server. Resolves when the server has taken it (for body events: written to
 * the kernel or buffered within the server's high-water mark). Rejects with a `PorticoError` of code
 * `ERR_CLIENT_DISCONNECTED` when the client is gone (ASYNC-HTTP-9).
 */
export type Send = (event: SendEvent) => Promise<void>;

/**
 * An async-interface application: called once per connection-scope (request, websocket, lifespan).
 * Its promise settles when it is done with the scope (spec/async.md "Applications").
 */
export type AsyncApp = (scope: Scope, receive: Receive, send: Send) => Promise<void>;
