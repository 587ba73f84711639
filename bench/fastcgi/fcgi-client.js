// @ts-check
/**
 * A minimal FastCGI client (FastCGI 1.0 spec, https://fast-cgi.github.io/spec) for the parts of the
 * FastCGI bench that talk to a backend without nginx: holding many idle kept connections open (the
 * memory figure) and sending a management record of an unknown type (the node-fastcgi check).
 * Only the Responder role; the request has no body.
 */
import { connect } from 'node:net';

// Record types and flags: FastCGI 1.0 spec, section 8 ("Types and Constants").
const VERSION_1 = 1;
const BEGIN_REQUEST = 1;
const END_REQUEST = 3;
const PARAMS = 4;
const STDIN = 5;
const STDOUT = 6;
const UNKNOWN_TYPE = 11;
const RESPONDER = 1;
const KEEP_CONN = 1;

/**
 * One record: 8-byte header (version, type, requestId, contentLength, paddingLength, reserved) and
 * the content, no padding (spec section 3.3).
 * @param {number} type
 * @param {number} requestId
 * @param {Uint8Array} content  at most 65535 bytes
 */
function record(type, requestId, content) {
  const header = Buffer.alloc(8);
  header.writeUInt8(VERSION_1, 0);
  header.writeUInt8(type, 1);
  header.writeUInt16BE(requestId, 2);
  header.writeUInt16BE(content.byteLength, 4);
  return Buffer.concat([header, content]);
}

/**
 * Name-value pairs (spec section 3.4): lengths below 128 in one byte, others in four with the high
 * bit set.
 * @param {Record<string, string>} params
 */
function nameValuePairs(params) {
  /** @param {number} n */
  const length = (n) => {
    if (n < 128) return Buffer.from([n]);
    const b = Buffer.alloc(4);
    b.writeUInt32BE((n | 0x80000000) >>> 0);
    return b;
  };
  return Buffer.concat(
    Object.entries(params).flatMap(([name, value]) => {
      const n = Buffer.from(name, 'latin1');
      const v = Buffer.from(value, 'latin1');
      return [length(n.byteLength), length(v.byteLength), n, v];
    }),
  );
}

/**
 * The params of `GET <path>` as nginx sends them for an app mounted at / (bench/fastcgi/configs.js).
 * @param {string} path
 * @returns {Record<string, string>}
 */
export function getParams(path) {
  return {
    QUERY_STRING: '',
    REQUEST_METHOD: 'GET',
    CONTENT_TYPE: '',
    CONTENT_LENGTH: '',
    SCRIPT_NAME: '',
    PATH_INFO: path,
    REQUEST_URI: path,
    DOCUMENT_URI: path,
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_SCHEME: 'http',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: 'portico-bench',
    REMOTE_ADDR: '127.0.0.1',
    REMOTE_PORT: '40000',
    SERVER_ADDR: '127.0.0.1',
    SERVER_PORT: '80',
    SERVER_NAME: 'localhost',
    HTTP_HOST: 'localhost',
  };
}

/**
 * The bytes of one complete Responder request without a body: BEGIN_REQUEST (with FCGI_KEEP_CONN
 * when `keepConn`), the params, the empty PARAMS record, the empty STDIN record (spec section 5.1).
 * @param {number} requestId
 * @param {Record<string, string>} params
 * @param {boolean} keepConn
 */
export function requestBytes(requestId, params, keepConn) {
  const begin = Buffer.alloc(8);
  begin.writeUInt16BE(RESPONDER, 0);
  begin.writeUInt8(keepConn ? KEEP_CONN : 0, 2);
  const pairs = nameValuePairs(params);
  /** @type {Buffer[]} */
  const parts = [record(BEGIN_REQUEST, requestId, begin)];
  for (let at = 0; at < pairs.byteLength; at += 65535) {
    parts.push(record(PARAMS, requestId, pairs.subarray(at, at + 65535)));
  }
  parts.push(record(PARAMS, requestId, new Uint8Array(0)), record(STDIN, requestId, new Uint8Array(0)));
  return Buffer.concat(parts);
}

/**
 * Reads whole records out of a growing buffer.
 * @param {Buffer} buffer
 * @returns {{ records: { type: number, requestId: number, content: Buffer }[], rest: Buffer }}
 */
function readRecords(buffer) {
  const records = [];
  let at = 0;
  while (buffer.byteLength - at >= 8) {
    const contentLength = buffer.readUInt16BE(at + 4);
    const end = at + 8 + contentLength + buffer.readUInt8(at + 6);
    if (buffer.byteLength < end) break;
    records.push({
      type: buffer.readUInt8(at + 1),
      requestId: buffer.readUInt16BE(at + 2),
      content: buffer.subarray(at + 8, at + 8 + contentLength),
    });
    at = end;
  }
  return { records, rest: buffer.subarray(at) };
}

/**
 * @typedef {object} Exchange
 * @property {import('node:net').Socket} socket  still open when the server kept the connection
 * @property {string} stdout  the FCGI_STDOUT stream (CGI response head and body)
 */

/**
 * Connects to 127.0.0.1:`port`, sends `GET path` with FCGI_KEEP_CONN and resolves once
 * FCGI_END_REQUEST arrived, leaving the connection open (idle). Rejects on a socket error, a close
 * before END_REQUEST, or after `timeoutMs`.
 * @param {number} port
 * @param {string} path
 * @param {number} [timeoutMs]
 * @returns {Promise<Exchange>}
 */
export function keptRequest(port, path, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    /** @type {Buffer} */
    let buffer = Buffer.alloc(0);
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`no FCGI_END_REQUEST after ${timeoutMs} ms`)), timeoutMs);
    /** @param {Error} err */
    function fail(err) {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    }
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection before FCGI_END_REQUEST')));
    socket.on('connect', () => socket.write(requestBytes(1, getParams(path), true)));
    socket.on('data', (chunk) => {
      const { records, rest } = readRecords(Buffer.concat([buffer, chunk]));
      buffer = rest;
      for (const r of records) {
        if (r.type === STDOUT) stdout += r.content.toString('latin1');
        if (r.type === END_REQUEST) {
          clearTimeout(timer);
          socket.removeAllListeners('close');
          socket.removeAllListeners('data');
          socket.removeAllListeners('error');
          socket.on('error', () => {});
          resolve({ socket, stdout });
        }
      }
    });
  });
}

/**
 * Sends a management record (request id 0) of type 42, which FastCGI 1.0 does not define, and
 * reports what the server did. The spec (section 4.2) requires an FCGI_UNKNOWN_TYPE reply.
 * @param {number} port
 * @param {number} [waitMs]  how long to wait for a reply or a close
 * @returns {Promise<'FCGI_UNKNOWN_TYPE' | 'closed the connection' | 'no reply' | `answered record type ${number}`>}
 */
export function unknownTypeProbe(port, waitMs = 2000) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    /** @type {Buffer} */
    let buffer = Buffer.alloc(0);
    /** @param {Parameters<typeof resolve>[0]} what */
    const done = (what) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(what);
    };
    const timer = setTimeout(() => done('no reply'), waitMs);
    socket.on('connect', () => socket.write(record(42, 0, Buffer.alloc(8))));
    socket.on('error', () => done('closed the connection'));
    socket.on('close', () => done('closed the connection'));
    socket.on('data', (chunk) => {
      const { records, rest } = readRecords(Buffer.concat([buffer, chunk]));
      buffer = rest;
      const first = records[0];
      if (first !== undefined) {
        done(first.type === UNKNOWN_TYPE ? 'FCGI_UNKNOWN_TYPE' : `answered record type ${first.type}`);
      }
    });
  });
}
