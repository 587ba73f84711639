/**
 * The FastCGI record codec: pure and synchronous over byte buffers, no I/O (FastCGI 1.0 section 3.3,
 * "Records"). {@link RecordDecoder} turns any chunking of a byte stream into whole records; the
 * `encode*` functions build records, content aligned to 8 bytes as section 3.3 recommends.
 *
 * @module
 */
import { PorticoError } from '@portico/spec';
import {
  FCGI_BEGIN_REQUEST,
  FCGI_END_REQUEST,
  FCGI_HEADER_LEN,
  FCGI_MAX_CONTENT_LENGTH,
  FCGI_NULL_REQUEST_ID,
  FCGI_UNKNOWN_TYPE,
  FCGI_VERSION_1,
  recordTypeName,
} from './protocol.js';

/** One decoded record: its type, request id and content (padding removed). */
export interface FastCGIRecord {
  /** Record type, 1..255 (`FCGI_STDIN`, ...). */
  readonly type: number;
  /** Request id, 0..65535; 0 for management records. */
  readonly requestId: number;
  /** The content bytes, 0..65535 of them. */
  readonly content: Uint8Array;
}

/** Called for each whole record. `content` may be a view of the pushed chunk: copy it to keep it past the pushed chunk's life if that chunk is reused. */
export type RecordHandler = (type: number, requestId: number, content: Uint8Array) => void;

/** The error for a byte stream that is not FastCGI records (`ERR_FCGI_BAD_RECORD`). */
export function badRecord(message: string, value?: unknown): PorticoError {
  return new PorticoError('ERR_FCGI_BAD_RECORD', message, { value });
}

const EMPTY = new Uint8Array(0);

/**
 * Incremental record decoder. Push the bytes of a connection in any chunking; whole records reach
 * the handler in order, the same records whatever the chunk boundaries. Any padding length
 * (0..255) is accepted on read (section 3.3: "need not be" 8-aligned).
 *
 * A record that fits in one pushed chunk is handed on as a view of that chunk, without a copy;
 * one split across chunks is assembled into a fresh buffer.
 */
export class RecordDecoder {
  private readonly onRecord: RecordHandler;
  /** Bytes of a header split across chunks. */
  private readonly head = new Uint8Array(FCGI_HEADER_LEN);
  private headFill = 0;
  /** The record being assembled across chunks, or null between records. */
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private type = 0;
  private requestId = 0;
  /** Padding bytes still to skip. */
  private skip = 0;
  private failed: PorticoError | null = null;

  /** @param onRecord - called for every whole record, in stream order */
  constructor(onRecord: RecordHandler) {
    this.onRecord = onRecord;
  }

  /** Whether the decoder stopped between records (no partial record held): a clean end of stream. */
  get atBoundary(): boolean {
    return this.headFill === 0 && this.body === null && this.skip === 0;
  }

  /**
   * Decodes `chunk`, calling the handler for each record it completes.
   *
   * @throws PorticoError `ERR_FCGI_BAD_RECORD` when a header's version byte is not
   *   `FCGI_VERSION_1`; the decoder then refuses further input (the stream cannot be re-synchronised).
   *   An error thrown by the handler propagates unchanged.
   */
  push(chunk: Uint8Array): void {
    if (this.failed !== null) throw this.failed;
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      // A record split across chunks: its content first, then its padding.
      if (this.body !== null) {
        const body = this.body;
        const n = Math.min(body.length - this.bodyFill, end - at);
        body.set(chunk.subarray(at, at + n), this.bodyFill);
        this.bodyFill += n;
        at += n;
        if (this.bodyFill === body.length) {
          this.body = null;
          this.onRecord(this.type, this.requestId, body);
        }
        continue;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - at);
        this.skip -= n;
        at += n;
        continue;
      }
      // A header: straight from the chunk when all 8 bytes are there, else gathered.
      let h: Uint8Array;
      let hAt: number;
      if (this.headFill === 0 && end - at >= FCGI_HEADER_LEN) {
        h = chunk;
        hAt = at;
        at += FCGI_HEADER_LEN;
      } else {
        const n = Math.min(FCGI_HEADER_LEN - this.headFill, end - at);
        this.head.set(chunk.subarray(at, at + n), this.headFill);
        this.headFill += n;
        at += n;
        if (this.headFill < FCGI_HEADER_LEN) break;
        this.headFill = 0;
        h = this.head;
        hAt = 0;
      }
      if (h[hAt] !== FCGI_VERSION_1) {
        this.failed = badRecord(`record header with version ${h[hAt]}, expected ${FCGI_VERSION_1}`, h[hAt]);
        throw this.failed;
      }
      const type = h[hAt + 1]!;
      const requestId = (h[hAt + 2]! << 8) | h[hAt + 3]!;
      const length = (h[hAt + 4]! << 8) | h[hAt + 5]!;
      this.skip = h[hAt + 6]!;
      if (length === 0) {
        this.onRecord(type, requestId, EMPTY);
      } else if (end - at >= length) {
        const content = chunk.subarray(at, at + length);
        at += length;
        this.onRecord(type, requestId, content);
      } else {
        this.type = type;
        this.requestId = requestId;
        this.body = new Uint8Array(length);
        this.bodyFill = 0;
      }
    }
  }
}

/** Padding that aligns `length` content bytes to 8 (section 3.3). */
export function paddingFor(length: number): number {
  return -length & 7;
}

/**
 * Writes a record header into `into` at `at`.
 *
 * @param length - content length, 0..65535
 * @param padding - padding length, 0..255
 */
export function writeHeader(
  into: Uint8Array,
  at: number,
  type: number,
  requestId: number,
  length: number,
  padding: number,
): void {
  into[at] = FCGI_VERSION_1;
  into[at + 1] = type;
  into[at + 2] = requestId >>> 8;
  into[at + 3] = requestId & 0xff;
  into[at + 4] = length >>> 8;
  into[at + 5] = length & 0xff;
  into[at + 6] = padding;
  into[at + 7] = 0;
}

/** Bytes that records carrying `length` content bytes of one stream take, split and padded. */
export function streamSize(length: number): number {
  let size = 0;
  let left = length;
  do {
    const n = Math.min(left, FCGI_MAX_CONTENT_LENGTH);
    size += FCGI_HEADER_LEN + n + paddingFor(n);
    left -= n;
  } while (left > 0);
  return size;
}

/**
 * Writes `content` as records of `type` into `into` at `at`, split into records of at most 65535
 * content bytes, each padded to 8; an empty `content` writes one empty record (a stream's end).
 * Returns the offset after the last record. `into` must have {@link streamSize} bytes free.
 */
export function writeStream(
  into: Uint8Array,
  at: number,
  type: number,
  requestId: number,
  content: Uint8Array,
): number {
  let from = 0;
  do {
    const n = Math.min(content.length - from, FCGI_MAX_CONTENT_LENGTH);
    const pad = paddingFor(n);
    writeHeader(into, at, type, requestId, n, pad);
    at += FCGI_HEADER_LEN;
    into.set(content.subarray(from, from + n), at);
    at += n;
    into.fill(0, at, at + pad);
    at += pad;
    from += n;
  } while (from < content.length);
  return at;
}

/**
 * Encodes `content` as records of one stream (`FCGI_STDOUT`, `FCGI_PARAMS`, ...): records of at most
 * 65535 content bytes, each padded to 8. Empty `content` gives the one empty record that ends a
 * stream (section 3.3, "Types of record").
 */
export function encodeStream(type: number, requestId: number, content: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(streamSize(content.length));
  writeStream(out, 0, type, requestId, content);
  return out;
}

/**
 * Encodes one record, padded to 8.
 *
 * @throws PorticoError `ERR_FCGI_BAD_RECORD` when the content is over 65535 bytes, the type is not
 *   1..255 or the request id not 0..65535
 */
export function encodeRecord(type: number, requestId: number, content: Uint8Array = EMPTY): Buffer {
  if (content.length > FCGI_MAX_CONTENT_LENGTH)
    throw badRecord(`record content of ${content.length} bytes, at most ${FCGI_MAX_CONTENT_LENGTH}`);
  if (!Number.isInteger(type) || type < 1 || type > 255) throw badRecord(`record type ${type}`, type);
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > 0xffff)
    throw badRecord(`request id ${requestId}`, requestId);
  return encodeStream(type, requestId, content);
}

/** `FCGI_BeginRequestBody` (section 5.1): role and flags. */
export interface BeginRequestBody {
  /** `FCGI_RESPONDER`, `FCGI_AUTHORIZER`, `FCGI_FILTER` or another (unknown) value, 0..65535. */
  readonly role: number;
  /** Flags; `FCGI_KEEP_CONN` is the only one defined. */
  readonly flags: number;
}

/** Encodes an `FCGI_BEGIN_REQUEST` record (section 5.1). */
export function encodeBeginRequest(requestId: number, role: number, flags: number): Buffer {
  const body = new Uint8Array(8);
  body[0] = role >>> 8;
  body[1] = role & 0xff;
  body[2] = flags;
  return encodeRecord(FCGI_BEGIN_REQUEST, requestId, body);
}

/**
 * Decodes an `FCGI_BeginRequestBody`.
 *
 * @throws PorticoError `ERR_FCGI_BAD_RECORD` when the content is shorter than 8 bytes
 */
export function decodeBeginRequest(content: Uint8Array): BeginRequestBody {
  if (content.length < 8)
    throw badRecord(`FCGI_BEGIN_REQUEST content of ${content.length} bytes, expected 8`, content.length);
  return { role: (content[0]! << 8) | content[1]!, flags: content[2]! };
}

/** `FCGI_EndRequestBody` (section 5.5). */
export interface EndRequestBody {
  /** The application's exit status, 0..2^32-1 (a CGI program's exit code). */
  readonly appStatus: number;
  /** `FCGI_REQUEST_COMPLETE`, `FCGI_CANT_MPX_CONN`, `FCGI_OVERLOADED` or `FCGI_UNKNOWN_ROLE`. */
  readonly protocolStatus: number;
}

/** Encodes an `FCGI_END_REQUEST` record (section 5.5). */
export function encodeEndRequest(requestId: number, appStatus: number, protocolStatus: number): Buffer {
  const out = Buffer.allocUnsafe(16);
  writeEndRequest(out, 0, requestId, appStatus, protocolStatus);
  return out;
}

/** Writes a 16-byte `FCGI_END_REQUEST` record into `into` at `at`. */
export function writeEndRequest(
  into: Uint8Array,
  at: number,
  requestId: number,
  appStatus: number,
  protocolStatus: number,
): void {
  writeHeader(into, at, FCGI_END_REQUEST, requestId, 8, 0);
  into[at + 8] = appStatus >>> 24;
  into[at + 9] = (appStatus >>> 16) & 0xff;
  into[at + 10] = (appStatus >>> 8) & 0xff;
  into[at + 11] = appStatus & 0xff;
  into[at + 12] = protocolStatus;
  into[at + 13] = 0;
  into[at + 14] = 0;
  into[at + 15] = 0;
}

/**
 * Decodes an `FCGI_EndRequestBody`.
 *
 * @throws PorticoError `ERR_FCGI_BAD_RECORD` when the content is shorter than 8 bytes
 */
export function decodeEndRequest(content: Uint8Array): EndRequestBody {
  if (content.length < 8)
    throw badRecord(`FCGI_END_REQUEST content of ${content.length} bytes, expected 8`, content.length);
  const appStatus = ((content[0]! << 24) | (content[1]! << 16) | (content[2]! << 8) | content[3]!) >>> 0;
  return { appStatus, protocolStatus: content[4]! };
}

/** Encodes an `FCGI_UNKNOWN_TYPE` record answering a management record of `type` (section 4.2). */
export function encodeUnknownType(type: number): Buffer {
  const body = new Uint8Array(8);
  body[0] = type;
  return encodeRecord(FCGI_UNKNOWN_TYPE, FCGI_NULL_REQUEST_ID, body);
}

/**
 * Decodes an `FCGI_UnknownTypeBody`: the type that was not understood.
 *
 * @throws PorticoError `ERR_FCGI_BAD_RECORD` when the content is shorter than 8 bytes
 */
export function decodeUnknownType(content: Uint8Array): number {
  if (content.length < 8)
    throw badRecord(`FCGI_UNKNOWN_TYPE content of ${content.length} bytes, expected 8`, content.length);
  return content[0]!;
}

/** Describes a record for logs: `FCGI_STDIN id=1 length=42`. */
export function describeRecord(type: number, requestId: number, length: number): string {
  return `${recordTypeName(type)} id=${requestId} length=${length}`;
}
