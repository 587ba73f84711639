/**
 * The HTML pages and the two ways the site answers (a page, a 303 redirect). Every value that comes
 * from a user (names, notes, error text) goes through `escapeHtml`, so `<script>` in a note is shown
 * as text. No inline script or style: the default Content-Security-Policy of `securityHeaders()`
 * forbids both.
 *
 * @module
 */
import { escapeHtml } from '@portico/middleware';
import type { HeaderList, Send } from '@portico/spec';
import type { Note } from './notes-store.js';

const encoder = new TextEncoder();

/** A CSRF token and the form field it goes in (`scope.state.csrf`). */
export interface FormToken {
  readonly token: string;
  readonly field: string;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

function hidden(csrf: FormToken): string {
  return `<input type="hidden" name="${escapeHtml(csrf.field)}" value="${escapeHtml(csrf.token)}">`;
}

/** The login form; `error` is shown above it, `username` refilled. */
export function loginPage(csrf: FormToken, error?: string, username = ''): string {
  const message = error === undefined ? '' : `<p id="error" role="alert">${escapeHtml(error)}</p>\n`;
  return layout(
    'Log in',
    `<h1>Log in</h1>
${message}<form method="post" action="/login">
${hidden(csrf)}
<label>User <input name="username" autocomplete="username" value="${escapeHtml(username)}" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>`,
  );
}

/** The user's notes and the form to add one. */
export function notesPage(user: string, notes: readonly Note[], csrf: FormToken): string {
  const items =
    notes.length === 0
      ? '<p id="empty">No notes yet.</p>'
      : `<ul id="notes">\n${notes.map((n) => `<li data-id="${n.id}">${escapeHtml(n.text)}</li>`).join('\n')}\n</ul>`;
  return layout(
    'Notes',
    `<h1>Notes of <span id="user">${escapeHtml(user)}</span></h1>
${items}
<form method="post" action="/notes">
${hidden(csrf)}
<label>New note <textarea name="text" required></textarea></label>
<button type="submit" id="add">Add</button>
</form>
<form method="post" action="/logout">
${hidden(csrf)}
<button type="submit" id="logout">Log out</button>
</form>`,
  );
}

/** The admin page: each user with the number of notes. */
export function adminPage(admin: string, rows: readonly (readonly [user: string, notes: number])[]): string {
  const body = rows.map(([u, n]) => `<tr><td>${escapeHtml(u)}</td><td>${n}</td></tr>`).join('\n');
  return layout(
    'Admin',
    `<h1>Admin</h1>
<p>Signed in as ${escapeHtml(admin)}.</p>
<table id="users">
<tr><th>User</th><th>Notes</th></tr>
${body}
</table>`,
  );
}

/**
 * Sends a whole HTML page. Pages carry a CSRF token or private data, so they are `no-store`.
 *
 * @param status - HTTP status, default 200
 */
export async function sendHtml(send: Send, html: string, status = 200): Promise<void> {
  const body = encoder.encode(html);
  const headers: HeaderList = [
    ['content-type', 'text/html; charset=utf-8'],
    ['content-length', String(body.byteLength)],
    ['cache-control', 'no-store'],
  ];
  await send({ type: 'http.response.start', status, headers });
  await send({ type: 'http.response.body', body });
}

/** Sends `303 See Other` to `location` (a path): after a POST, the browser GETs it (RFC 9110 section 15.4.4). */
export async function redirect(send: Send, location: string): Promise<void> {
  const body = encoder.encode(`See ${location}\n`);
  await send({
    type: 'http.response.start',
    status: 303,
    headers: [
      ['location', location],
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', String(body.byteLength)],
      ['cache-control', 'no-store'],
    ],
  });
  await send({ type: 'http.response.body', body });
}
