/**
 * The bodies `errorHandler()` answers with: a plain page for production, a debug page with the stack
 * for development, JSON when the client prefers it. Every string that goes into HTML is escaped.
 *
 * @module
 */

import { REASON_PHRASES } from '@portico/server';
import type { HeaderList } from '@portico/spec';

/** A rendered error response body and its `content-type`. */
export interface ErrorBody {
  readonly contentType: string;
  readonly body: string;
}

/** The body type an error response is rendered as. */
export type ErrorBodyType = 'text' | 'html' | 'json';

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes `&`, `<`, `>`, `"` and `'` for HTML text and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/** The reason phrase of `status` (`'Internal Server Error'`), or `'Error'` for a code without one. */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? 'Error';
}

/**
 * The q-value (RFC 9110 section 12.5.1) the `accept` header gives `type` (`'text/html'`), from its
 * most specific matching range (`type/sub`, then `type/*`, then `* /*`); 1 when there is no header.
 */
export function acceptQuality(accept: string | undefined, type: string): number {
  if (accept === undefined || accept.trim() === '') return 1;
  const [major] = type.split('/');
  let best = -1;
  let q = 0;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const specificity = range === type ? 3 : range === `${major}/*` ? 2 : range === '*/*' ? 1 : 0;
    if (specificity === 0 || specificity < best) continue;
    let value = 1;
    for (const p of params) {
      const m = /^q=([01](?:\.\d{0,3})?)$/.exec(p);
      if (m !== null) value = Number(m[1]);
    }
    if (specificity > best || value > q) q = value;
    best = specificity;
  }
  return q;
}

/**
 * What to render for a request with this `accept` header: `json` when `application/json` has a
 * higher q-value than both `text/html` and `text/plain`; else `html` when `text/html` beats
 * `text/plain` (a browser); else `text` (curl, `* /*`, no header).
 */
export function negotiateErrorType(accept: string | undefined): ErrorBodyType {
  const json = acceptQuality(accept, 'application/json');
  const html = acceptQuality(accept, 'text/html');
  const text = acceptQuality(accept, 'text/plain');
  if (json > html && json > text) return 'json';
  return html > text ? 'html' : 'text';
}

/**
 * The production body: the status and its reason phrase, and `message` only when given (the caller
 * passes it only for an error with `expose === true`). Never a stack.
 */
export function renderErrorPage(status: number, message: string | undefined, type: ErrorBodyType): ErrorBody {
  const reason = reasonPhrase(status);
  if (type === 'json') {
    return {
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify(message === undefined ? { error: reason } : { error: reason, message }),
    };
  }
  if (type === 'html') {
    const title = `${status} ${escapeHtml(reason)}`;
    const detail = message === undefined ? '' : `<p>${escapeHtml(message)}</p>\n`;
    return {
      contentType: 'text/html; charset=utf-8',
      body: `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body><h1>${title}</h1>\n${detail}</body></html>\n`,
    };
  }
  return {
    contentType: 'text/plain; charset=utf-8',
    body: message === undefined ? `${reason}\n` : `${reason}: ${message}\n`,
  };
}

/** What the debug page shows of the failed request. */
export interface DebugRequest {
  readonly method: string;
  /** Raw path and query as sent. */
  readonly target: string;
  readonly headers: HeaderList;
}

/** One error of the cause chain, as the debug page shows it. */
export interface ErrorSummary {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly stack: string | undefined;
}

// Credentials: a debug page is shown to whoever made the request, and can end up in a screenshot,
// a bug report or a cache. Cookies carry session ids (HttpOnly ones, which a page must not read).
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** `String(value)`, or a placeholder when that throws (a null-prototype object, a hostile `toString`). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '[unprintable value]';
  }
}

/** The error and its causes (`err.cause`, then its cause...), at most 10, cycles cut. */
export function causeChain(err: unknown): ErrorSummary[] {
  const out: ErrorSummary[] = [];
  const seen = new Set<unknown>();
  let at: unknown = err;
  while (at !== undefined && out.length < 10 && !seen.has(at)) {
    seen.add(at);
    if (at instanceof Error) {
      const code = (at as { code?: unknown }).code;
      // Fields an app may have set to anything: strings only reach the page.
      out.push({
        name: safeString(at.name),
        message: safeString(at.message),
        code: typeof code === 'string' ? code : undefined,
        stack: typeof at.stack === 'string' ? at.stack : undefined,
      });
      at = (at as { cause?: unknown }).cause;
    } else {
      out.push({ name: typeof at, message: safeString(at), code: undefined, stack: undefined });
      break;
    }
  }
  return out;
}

/**
 * The debug page (Plack's StackTrace, Starlette's debug mode): status, then for the error and each
 * cause its name, code, message and stack, then the request's method, target and headers
 * (`authorization`, `proxy-authorization` and `cookie` values hidden). A thrown value that is not
 * an Error is shown as `String(value)`, or `[unprintable value]` when that throws. Every string is escaped with {@link escapeHtml}; inline CSS only,
 * so the page can be sent with `content-security-policy: default-src 'none'; style-src 'unsafe-inline'`.
 * With `type` `json`, the same facts as JSON.
 */
export function renderDebugPage(
  status: number,
  err: unknown,
  request: DebugRequest,
  type: ErrorBodyType,
): ErrorBody {
  const chain = causeChain(err);
  const headers = request.headers.map(([n, v]): [string, string] => [
    n,
    SECRET_HEADERS.has(n) ? '[hidden]' : v,
  ]);
  if (type === 'json') {
    return {
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({ error: reasonPhrase(status), errors: chain, request: { ...request, headers } }),
    };
  }
  const h = escapeHtml;
  const errors = chain
    .map(
      (e, i) =>
        `<section><h2>${i === 0 ? '' : 'Caused by: '}${h(e.name)}${e.code === undefined ? '' : ` [${h(e.code)}]`}</h2>\n` +
        `<p class="message">${h(e.message)}</p>\n<pre>${h(e.stack ?? '(no stack)')}</pre></section>\n`,
    )
    .join('');
  const rows = headers.map(([n, v]) => `<tr><th>${h(n)}</th><td>${h(v)}</td></tr>`).join('\n');
  const title = `${status} ${h(reasonPhrase(status))}`;
  return {
    contentType: 'text/html; charset=utf-8',
    body:
      `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title>\n` +
      '<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em;overflow:auto}' +
      'th{text-align:left;padding-right:1em;vertical-align:top}.message{font-size:1.2em;color:#a00}</style>\n' +
      `</head><body><h1>${title}</h1>\n${errors}` +
      `<section><h2>Request</h2>\n<p><code>${h(request.method)} ${h(request.target)}</code></p>\n` +
      `<table>\n${rows}\n</table></section>\n</body></html>\n`,
  };
}
