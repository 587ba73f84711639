/**
 * Which CGI meta-variable a request header becomes (RFC 3875 section 4.1.18), with the two security
 * rules of spec/servers.md "From scope to environ". For every adapter or bridge that turns headers
 * into environ keys or process environment variables.
 *
 * @module
 */

/**
 * The environ key for request header `name`: `content-type` and `content-length` become
 * `CONTENT_TYPE` and `CONTENT_LENGTH`, any other `x-foo` becomes `HTTP_X_FOO`. Returns `null` for a
 * header that must not become a variable:
 * - `SRV-ENV-1`: `proxy` never becomes `HTTP_PROXY`, which CGI programs and HTTP libraries read as
 *   their outgoing proxy (httpoxy, CVE-2016-5385);
 * - `SRV-ENV-2`: a name containing `_` is dropped, since `x_foo` and `x-foo` would both map to
 *   `HTTP_X_FOO` and the one a front end checked could be shadowed (the nginx and gunicorn rule).
 *
 * @param name - the header name as received (any case)
 */
export function cgiVariableName(name: string): string | null {
  if (name.includes('_')) return null; // `SRV-ENV-2`
  const key = name.toUpperCase().replaceAll('-', '_');
  if (key === 'PROXY') return null; // `SRV-ENV-1`
  if (key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') return key;
  return `HTTP_${key}`;
}
