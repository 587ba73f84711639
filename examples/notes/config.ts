/**
 * The app's settings from environment variables, with demo defaults so `portico serve` works out
 * of the box. The defaults are public: set real values for anything but a local demo.
 *
 * @module
 */
import { PorticoError } from '@portico/spec';

/** A user of the app: a password and roles (`admin` opens `/admin`). */
export interface NotesUser {
  readonly password: string;
  readonly roles: readonly string[];
}

/** Options of `createNotesApp`. */
export interface NotesAppOptions {
  /** Users by name. */
  readonly users: Readonly<Record<string, NotesUser>>;
  /** HS256 secret of the API's JWTs, at least 32 bytes. */
  readonly jwtSecret: Uint8Array;
  /** Required `iss` of API tokens. */
  readonly issuer: string;
  /** Required `aud` of API tokens. */
  readonly audience: string;
  /** `true`: session cookie `__Host-notes.sid`, `Secure` (serve over https). Default `false`: `notes.sid`. */
  readonly secureCookies?: boolean;
}

/** Demo users: `alice` / `alice-password` (role `user`), `admin` / `admin-password` (role `admin`). */
export const DEMO_USERS: Readonly<Record<string, NotesUser>> = {
  alice: { password: 'alice-password', roles: ['user'] },
  admin: { password: 'admin-password', roles: ['admin'] },
};

/** Demo JWT secret (40 bytes). Public: never use it outside a local demo. */
export const DEMO_JWT_SECRET = 'portico-notes-demo-secret-change-me-0123';

/**
 * Reads `NOTES_USERS` (JSON `{"name": {"password": "...", "roles": ["admin"]}}`),
 * `NOTES_JWT_SECRET` (UTF-8, >= 32 bytes), `NOTES_ISSUER` (default `portico-notes`),
 * `NOTES_AUDIENCE` (default `notes-api`) and `NOTES_SECURE_COOKIES` (`1`/`true` to turn on).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` naming the variable when one is malformed
 */
export function notesConfigFromEnv(env: Readonly<Record<string, string | undefined>>): NotesAppOptions {
  let users = DEMO_USERS;
  if (env.NOTES_USERS !== undefined && env.NOTES_USERS !== '') {
    try {
      users = JSON.parse(env.NOTES_USERS) as Record<string, NotesUser>;
    } catch (cause) {
      throw new PorticoError('ERR_INVALID_OPTION', 'NOTES_USERS is not JSON', { cause });
    }
  }
  const secret = new TextEncoder().encode(env.NOTES_JWT_SECRET || DEMO_JWT_SECRET);
  if (secret.byteLength < 32)
    throw new PorticoError('ERR_INVALID_OPTION', 'NOTES_JWT_SECRET needs >= 32 bytes');
  return {
    users,
    jwtSecret: secret,
    issuer: env.NOTES_ISSUER || 'portico-notes',
    audience: env.NOTES_AUDIENCE || 'notes-api',
    secureCookies: env.NOTES_SECURE_COOKIES === '1' || env.NOTES_SECURE_COOKIES === 'true',
  };
}
