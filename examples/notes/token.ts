/**
 * Minting API tokens with jose (`SignJWT`, HS256). The tests use it; run it to get a demo token:
 * `pnpm exec tsx examples/notes/token.ts alice` prints a token for the defaults of `app.ts`.
 *
 * @module
 */
import { argv } from 'node:process';
import { pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';

/** What {@link signNotesToken} puts in the token. */
export interface NotesTokenOptions {
  /** HS256 secret (the app's `jwtSecret`). */
  readonly secret: Uint8Array;
  readonly issuer: string;
  readonly audience: string;
  /** The user id (`sub`). */
  readonly subject: string;
  /** The `roles` claim. Default `[]`. */
  readonly roles?: readonly string[];
  /** `exp`: seconds from now (may be negative for an expired token). Default 3600 (1 hour). */
  readonly expiresIn?: number;
}

/** A compact HS256 JWT with `sub`, `iss`, `aud`, `iat`, `exp` and `roles`. */
export async function signNotesToken(options: NotesTokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: [...(options.roles ?? [])] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 3600))
    .sign(options.secret);
}

if (argv[1] !== undefined && import.meta.url === pathToFileURL(argv[1]).href) {
  const { notesConfigFromEnv } = await import('./config.js');
  const config = notesConfigFromEnv(process.env);
  const subject = argv[2] ?? 'alice';
  const roles = config.users[subject]?.roles ?? [];
  console.log(await signNotesToken({ ...config, secret: config.jwtSecret, subject, roles }));
}
