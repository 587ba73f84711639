/**
 * What a test reads back: the response head, and the whole response.
 *
 * @module
 */

import type { HeaderList } from '@portico/spec';
import { allHeaders, firstHeader } from './headers.js';

/** The head of a response: status and headers, as the app sent them in `http.response.start`. */
export class ResponseHead {
  /** The status code. */
  readonly status: number;
  /**
   * Every header as `[name, value]`, in the order the app sent them, duplicates kept, names in the
   * case the app used. Nothing is added: unlike a server on the wire, the client adds no `date`,
   * `content-length` or `transfer-encoding`.
   */
  readonly headers: HeaderList;
  /** The header lists of the `103 Early Hints` the app sent before the response, in order. */
  readonly earlyHints: readonly HeaderList[];

  constructor(status: number, headers: HeaderList, earlyHints: readonly HeaderList[]) {
    this.status = status;
    this.headers = headers;
    this.earlyHints = earlyHints;
  }

  /** The first value of header `name` (any case), or `null` when the response has none. */
  header(name: string): string | null {
    return firstHeader(this.headers, name);
  }

  /** Every value of header `name` (any case), in order; empty when none. */
  headerAll(name: string): string[] {
    return allHeaders(this.headers, name);
  }
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

function decoderFor(contentType: string | null): { decode(input: Uint8Array): string } {
  const label = contentType === null ? undefined : CHARSET.exec(contentType)?.[1];
  if (label !== undefined) {
    try {
      return new TextDecoder(label);
    } catch {
      // An unknown charset label falls back to UTF-8.
    }
  }
  return new TextDecoder('utf-8');
}

/** A whole response: head, body bytes and trailers. */
export class TestResponse extends ResponseHead {
  /**
   * The body bytes, all body events joined. Empty for a `HEAD` request (a server sends no body for
   * HEAD, RFC 9110 section 9.3.2) and for a response the app never started.
   */
  readonly body: Uint8Array;
  /** The trailers the app sent (extension `http.response.trailers`), or `null` when it sent none. */
  readonly trailers: HeaderList | null;

  constructor(
    status: number,
    headers: HeaderList,
    body: Uint8Array,
    trailers: HeaderList | null,
    earlyHints: readonly HeaderList[],
  ) {
    super(status, headers, earlyHints);
    this.body = body;
    this.trailers = trailers;
  }

  /**
   * The body as text: decoded with the `charset` of `content-type` when the platform knows it, else
   * UTF-8 (invalid sequences become U+FFFD).
   */
  text(): string {
    return decoderFor(this.header('content-type')).decode(this.body);
  }

  /**
   * The body parsed as JSON.
   *
   * @throws SyntaxError when the body is not JSON
   */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}
