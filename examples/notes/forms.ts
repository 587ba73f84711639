/**
 * Reading an `application/x-www-form-urlencoded` request body: `bufferBody` with a limit, then the
 * WHATWG `URLSearchParams` parser.
 *
 * @module
 */
import { bufferBody } from '@portico/middleware';
import { type HTTPScope, PorticoError, type Receive } from '@portico/spec';

/** The most form-body bytes read (16 KiB); more is a 413. */
export const FORM_LIMIT = 16_384;

/** The media type of the request (lowercase, parameters dropped), or `''` without `content-type`. */
export function mediaType(scope: HTTPScope): string {
  const header = scope.headers.find(([name]) => name === 'content-type')?.[1] ?? '';
  return (header.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Reads the whole body as an urlencoded form (the WHATWG URL standard's
 * application/x-www-form-urlencoded parser, which takes the bytes as UTF-8).
 *
 * @param limit - the most body bytes, default {@link FORM_LIMIT}
 * @throws PorticoError `ERR_BAD_REQUEST` (415, exposed) when the body is not urlencoded;
 *   `ERR_BODY_TOO_LARGE` (413, exposed) when it is over `limit` bytes
 */
export async function readForm(
  scope: HTTPScope,
  receive: Receive,
  limit = FORM_LIMIT,
): Promise<URLSearchParams> {
  if (mediaType(scope) !== 'application/x-www-form-urlencoded') {
    throw new PorticoError('ERR_BAD_REQUEST', 'expected an application/x-www-form-urlencoded body', {
      status: 415,
      expose: true,
    });
  }
  const { body } = await bufferBody(receive, { limit, headers: scope.headers });
  return new URLSearchParams(new TextDecoder().decode(body));
}
