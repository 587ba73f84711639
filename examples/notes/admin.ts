/**
 * The admin area behind HTTP Basic (RFC 7617): `basicAuth()` checks the user table, then
 * `requireAuth({ roles: ['admin'] })` lets only admins through (another valid user gets 403).
 *
 * @module
 */
import { type BasicVerify, basicAuth, principalOf, requireAuth } from '@portico/middleware';
import type { AsyncApp } from '@portico/spec';
import { httpHandler } from './handler.js';
import type { NotesStore } from './notes-store.js';
import { adminPage, sendHtml } from './pages.js';

/** The realm of the Basic challenge. */
export const ADMIN_REALM = 'notes admin';

/** Options of {@link admin}. */
export interface AdminOptions {
  /** Every user name, listed on the page. */
  readonly users: readonly string[];
  /** Checks a user name and password (`basicUsers(...)`). */
  readonly verify: BasicVerify;
  readonly notes: NotesStore;
}

/** The admin app (mount it at `/admin`): every path shows the users and their note counts. */
export function admin(options: AdminOptions): AsyncApp {
  const { users, notes } = options;
  const page = httpHandler(async function adminOverview(scope, _receive, send) {
    const counts = notes.counts();
    const rows = users.map((u) => [u, counts.get(u) ?? 0] as const);
    return sendHtml(send, adminPage(principalOf(scope)?.id ?? '', rows));
  });
  return basicAuth({ realm: ADMIN_REALM, verify: options.verify })(requireAuth({ roles: ['admin'] })(page));
}
