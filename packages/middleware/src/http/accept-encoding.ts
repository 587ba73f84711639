/**
 * `Accept-Encoding` parsing and content-coding negotiation (RFC 9110 section 12.5.3).
 *
 * @module
 */

/** One member of an `Accept-Encoding` field: a coding (lowercase; `*` and `identity` included) and its weight. */
export interface AcceptedCoding {
  /** The content coding, lowercase (`gzip`, `br`, `identity`, `*`); `x-gzip` is read as `gzip`. */
  readonly coding: string;
  /** The weight, 0..1 (RFC 9110 section 12.4.2); 1 when absent. */
  readonly q: number;
}

// token = 1*tchar (RFC 9110 section 5.6.2)
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )   (RFC 9110 section 12.4.2)
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Parses an `Accept-Encoding` value, leniently: a member that is not `token *( OWS ";" OWS
 * parameter )` with at most one valid `q` parameter is skipped, as is a member with a malformed `q`
 * (`q=2`, `q=0.1234`), so garbage never throws; it yields fewer members. Case-insensitive; `x-gzip`
 * is read as `gzip` (RFC 9110 section 8.4.1.3).
 *
 * Grammar (RFC 9110 section 12.5.3): `Accept-Encoding = #( codings [ weight ] )`,
 * `codings = content-coding / "identity" / "*"`, `weight = OWS ";" OWS "q=" qvalue`.
 *
 * @param value - the field value (several field lines joined with `,`); `undefined` gives `[]`
 */
export function parseAcceptEncoding(value: string | undefined): AcceptedCoding[] {
  if (value === undefined) return [];
  const out: AcceptedCoding[] = [];
  for (const member of value.split(',')) {
    const parts = member.split(';').map((p) => p.trim());
    const name = (parts[0] ?? '').toLowerCase();
    if (!TOKEN.test(name)) continue;
    let q = 1;
    let ok = true;
    for (const param of parts.slice(1)) {
      const eq = param.indexOf('=');
      const key = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
      if (key !== 'q') continue; // extension parameters are ignored
      const raw = eq < 0 ? '' : param.slice(eq + 1).trim();
      if (!QVALUE.test(raw)) ok = false;
      else q = Number(raw);
    }
    if (ok) out.push({ coding: name === 'x-gzip' ? 'gzip' : name, q });
  }
  return out;
}

/**
 * Chooses the content coding of a response (RFC 9110 section 12.5.3).
 *
 * - No `Accept-Encoding` (`undefined`) or an empty one: `identity` (no preference, or no coding
 *   wanted; servers do not compress for clients that did not ask).
 * - Each offered coding gets the weight of its own member, else that of `*`, else 0. `identity`
 *   gets the weight of its own member, else that of `*`; unlisted, it stays acceptable (the
 *   fallback) but ranks below any listed coding, as in jshttp/negotiator (`gzip;q=0.5` means gzip).
 * - The offered coding with the highest weight above 0 wins; ties go to the earlier in `offered`
 *   (the server's preference). It is chosen unless `identity` has a strictly higher weight.
 * - When nothing offered is acceptable the answer is `identity` even if the client refused it
 *   (`identity;q=0`): the RFC lets the server send an unencoded response rather than a 406.
 *
 * Never throws; the result is `identity` or a member of `offered` with a weight above 0.
 *
 * @param value - the request's `Accept-Encoding` (field lines joined with `,`), or `undefined`
 * @param offered - the codings the server can produce, lowercase, in preference order
 */
export function negotiateEncoding(value: string | undefined, offered: readonly string[]): string {
  if (value === undefined) return 'identity';
  const accepted = parseAcceptEncoding(value);
  const weight = (coding: string): number | undefined => {
    // With duplicates the highest weight wins: a client that names a coding twice accepts it.
    let q: number | undefined;
    for (const a of accepted) if (a.coding === coding) q = Math.max(q ?? 0, a.q);
    return q;
  };
  const star = weight('*');
  let best = 'identity';
  let bestQ = 0;
  for (const coding of offered) {
    const q = weight(coding) ?? star ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  if (best === 'identity') return 'identity';
  // Unlisted identity is acceptable but ranks below every listed coding (as jshttp/negotiator).
  const identityQ = weight('identity') ?? star ?? 0;
  return identityQ > bestQ ? 'identity' : best;
}
