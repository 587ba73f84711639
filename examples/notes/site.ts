/**
 * The browser side: a session, CSRF protection, the session user as the principal, and the routes
 * (list, log in, add a note, log out).
 *
 * @module
 */
import {
  type BasicVerify,
  type CsrfState,
  csrf,
  MemoryStore,
  principalOf,
  router,
  session,
  sessionOf,
  setPrincipal,
} from '@portico/middleware';
import { type AsyncApp, asyncApp, type HTTPScope } from '@portico/spec';
import { readForm } from './forms.js';
import { httpHandler } from './handler.js';
import type { NotesStore } from './notes-store.js';
import { type FormToken, loginPage, notesPage, redirect, sendHtml } from './pages.js';

/** Options of {@link site}. */
export interface SiteOptions {
  /** Checks a user name and password (`basicUsers(...)` of the app's users). */
  readonly verify: BasicVerify;
  /** Where notes live. */
  readonly notes: NotesStore;
  /** `true`: cookie `__Host-notes.sid` with `Secure` (serve over https); `false`: `notes.sid`. */
  readonly secureCookies: boolean;
}

/** The session key holding the logged-in user's id. */
export const USER_KEY = 'user';
/** The session key holding the logged-in user's roles. */
export const ROLES_KEY = 'roles';

function formToken(scope: HTTPScope): FormToken {
  const state = scope.state.csrf as CsrfState;
  return { token: state.token, field: state.field };
}

/**
 * Maps the session's user to the principal (`setPrincipal`, scheme `'session'`), so handlers ask
 * `principalOf(scope)` whatever logged the user in. Needs `session()` outside it.
 */
export function sessionPrincipal(): (app: AsyncApp) => AsyncApp {
  return (inner) => {
    return asyncApp(async function sessionPrincipalApp(scope, receive, send) {
      if (scope.type === 'http') {
        const s = sessionOf(scope);
        const user = s.get<string>(USER_KEY);
        if (typeof user === 'string') {
          setPrincipal(scope, { id: user, scheme: 'session', roles: s.get<string[]>(ROLES_KEY) ?? [] });
        }
      }
      return inner(scope, receive, send);
    });
  };
}

/** The routes behind the session: `GET /`, `GET /login`, `POST /login`, `POST /notes`, `POST /logout`. */
export function siteRoutes(options: Pick<SiteOptions, 'verify' | 'notes'>): AsyncApp {
  const { verify, notes } = options;
  return router()
    .get(
      '/',
      httpHandler(async function listNotes(scope, _receive, send) {
        const who = principalOf(scope);
        if (who === undefined) return redirect(send, '/login');
        return sendHtml(send, notesPage(who.id, notes.list(who.id), formToken(scope)));
      }),
    )
    .get(
      '/login',
      httpHandler(async function loginForm(scope, _receive, send) {
        if (principalOf(scope) !== undefined) return redirect(send, '/');
        return sendHtml(send, loginPage(formToken(scope)));
      }),
    )
    .post(
      '/login',
      httpHandler(async function logIn(scope, receive, send) {
        const form = await readForm(scope, receive);
        const username = form.get('username') ?? '';
        const found = await verify(username, form.get('password') ?? '', scope);
        if (found === false || found === undefined) {
          // Same answer for an unknown user and a wrong password.
          return sendHtml(send, loginPage(formToken(scope), 'Wrong user name or password.', username), 200);
        }
        const s = sessionOf(scope);
        await s.regenerate(); // a new id at login: an id planted before login is worthless (fixation)
        s.set(USER_KEY, found === true ? username : found.id);
        s.set(ROLES_KEY, found === true ? [] : [...found.roles]);
        return redirect(send, '/');
      }),
    )
    .post(
      '/notes',
      httpHandler(async function addNote(scope, receive, send) {
        const who = principalOf(scope);
        if (who === undefined) return redirect(send, '/login');
        const form = await readForm(scope, receive);
        notes.add(who.id, form.get('text') ?? '');
        return redirect(send, '/');
      }),
    )
    .post(
      '/logout',
      httpHandler(async function logOut(scope, _receive, send) {
        await sessionOf(scope).destroy(); // record deleted in the store, cookie cleared
        return redirect(send, '/login');
      }),
    );
}

/**
 * The site: `session()` (server-side, `MemoryStore`, browser-session cookie, HttpOnly, SameSite=Lax)
 * -> `csrf()` -> {@link sessionPrincipal} -> {@link siteRoutes}.
 */
export function site(options: SiteOptions): AsyncApp {
  const cookie = options.secureCookies
    ? ({ name: '__Host-notes.sid', secure: true } as const)
    : ({ name: 'notes.sid', secure: false } as const);
  return session({
    store: new MemoryStore(),
    ...cookie,
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    persistent: false,
  })(csrf()(sessionPrincipal()(siteRoutes(options))));
}
