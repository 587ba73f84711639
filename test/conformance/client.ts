/**
 * The HTTP client the suite uses: node:http, so paths go out exactly as given and repeated headers
 * stay separate lines.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';

export interface ClientRequest {
  method?: string;
  /** Path and query as sent (percent-encoded). */
  path: string;
  /** Header pairs; a repeated name is sent as repeated lines. */
  headers?: [string, string][];
  /** A body sent with content-length, or a list of pieces sent chunked (with `gapMs` between). */
  body?: Buffer | Buffer[];
  gapMs?: number;
  /**
   * With a list body: send the head alone, wait this long (ms) or until the response arrives, and
   * write no piece once a response has arrived. For a front end that refuses on the head and closes:
   * body bytes it never reads would make its close a reset, which can lose the response.
   */
  holdBodyMs?: number;
}

export interface ClientResponse {
  status: number;
  /** Header pairs as received, names lowercased. */
  headers: [string, string][];
  body: Buffer;
}

export function headerOf(res: ClientResponse, name: string): string | undefined {
  return res.headers.find(([n]) => n === name)?.[1];
}

function toPairs(res: IncomingMessage): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2)
    out.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
  return out;
}

/** Starts a request; resolves with the response stream once the head arrived. */
export function open(baseUrl: string, req: ClientRequest): Promise<IncomingMessage> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const grouped = new Map<string, string[]>();
    for (const [n, v] of req.headers ?? []) grouped.set(n, [...(grouped.get(n) ?? []), v]);
    const r = httpRequest({
      host: url.hostname,
      port: url.port,
      method: req.method ?? 'GET',
      path: req.path,
      agent: false,
      headers: Object.fromEntries([...grouped].map(([n, vs]) => [n, vs.length === 1 ? vs[0]! : vs])),
    });
    let answered = false;
    r.on('response', (res) => {
      answered = true;
      resolve(res);
    });
    r.on('error', reject);
    const body = req.body;
    if (body === undefined) r.end();
    else if (Buffer.isBuffer(body)) r.end(body);
    else {
      (async () => {
        if (req.holdBodyMs !== undefined) {
          r.flushHeaders();
          for (let waited = 0; waited < req.holdBodyMs && !answered; waited += 10) {
            await new Promise((t) => setTimeout(t, 10));
          }
        }
        for (const piece of body) {
          if (answered && req.holdBodyMs !== undefined) return;
          r.write(piece);
          if (req.gapMs) await new Promise((t) => setTimeout(t, req.gapMs));
        }
        r.end();
      })().catch(reject);
    }
  });
}

/** Sends a request and reads the whole response. */
export async function fetchRaw(baseUrl: string, req: ClientRequest): Promise<ClientResponse> {
  const res = await open(baseUrl, req);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return { status: res.statusCode ?? 0, headers: toPairs(res), body: Buffer.concat(chunks) };
}

export async function fetchJSON<T = Record<string, unknown>>(
  baseUrl: string,
  req: ClientRequest,
): Promise<T> {
  const res = await fetchRaw(baseUrl, req);
  if (res.status !== 200) throw new Error(`status ${res.status}: ${res.body.toString()}`);
  return JSON.parse(res.body.toString('utf8')) as T;
}

/**
 * POSTs `body` (`application/octet-stream`, with a Content-Length) to `url` in `pieces` writes
 * `gapMs` apart, noting when the last write began (`lastWriteAt`, Date.now() ms); resolves with the
 * status and the response body parsed as JSON. Rejects with the status and text when the body is
 * not JSON.
 */
export function slowUpload<T>(
  url: string,
  body: Buffer,
  pieces: number,
  gapMs: number,
): Promise<{ status: number; json: T; lastWriteAt: number }> {
  return new Promise((resolve, reject) => {
    let lastWriteAt = 0;
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as T, lastWriteAt });
          } catch {
            reject(new Error(`status ${res.statusCode}: ${text}`));
          }
        });
      },
    );
    req.on('error', reject);
    const size = Math.ceil(body.length / pieces);
    (async () => {
      for (let i = 0; i < pieces; i++) {
        if (i === pieces - 1) lastWriteAt = Date.now();
        if (!req.write(body.subarray(i * size, (i + 1) * size)))
          await new Promise((r) => req.once('drain', r));
        if (i < pieces - 1) await new Promise((r) => setTimeout(r, gapMs));
      }
      req.end();
    })().catch(reject);
  });
}
