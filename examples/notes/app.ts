/**
 * The notes app: composition only. Run it with `pnpm exec portico serve examples/notes/app.ts`
 * (the default export, built from environment variables: see config.ts and README.md).
 *
 * Stack, outermost first:
 *
 * ```
 * errorHandler -> securityHeaders -> requestId -> URL map
 *   /api   -> jwtAuth (HS256, iss, aud)          -> JSON API router
 *   /admin -> basicAuth -> requireAuth(admin)    -> admin page
 *   else   -> session -> csrf -> sessionPrincipal -> site router
 * ```
 *
 * @module
 */
import { basicUsers, builder, errorHandler, requestId, securityHeaders } from '@portico/middleware';
import { type AsyncApp, PorticoError } from '@portico/spec';
import { admin } from './admin.js';
import { api } from './api.js';
import { type NotesAppOptions, notesConfigFromEnv } from './config.js';
import { NotesStore } from './notes-store.js';
import { site } from './site.js';

export type { NotesAppOptions, NotesUser } from './config.js';

/**
 * Builds the notes app (an async app) with its own in-memory notes and sessions.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when `jwtSecret` is shorter than 32 bytes or a user
 *   entry is invalid
 */
export function createNotesApp(options: NotesAppOptions): AsyncApp {
  if (!(options.jwtSecret instanceof Uint8Array) || options.jwtSecret.byteLength < 32) {
    throw new PorticoError('ERR_INVALID_OPTION', 'option jwtSecret must be a Uint8Array of >= 32 bytes');
  }
  const notes = new NotesStore();
  const verify = basicUsers(options.users);
  return builder()
    .use(errorHandler())
    .use(securityHeaders())
    .use(requestId())
    .mount('/api', api({ notes, ...options }))
    .mount('/admin', admin({ users: Object.keys(options.users), verify, notes }))
    .run(site({ verify, notes, secureCookies: options.secureCookies ?? false }))
    .build();
}

/** The app `portico serve examples/notes/app.ts` serves, configured by `NOTES_*` variables. */
const notesApp: AsyncApp = createNotesApp(notesConfigFromEnv(process.env));
export default notesApp;
