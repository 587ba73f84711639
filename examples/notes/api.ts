/**
 * The JSON API behind `jwtAuth()`: `GET /notes` lists the caller's notes, `POST /notes` with
 * `{"text": "..."}` adds one and answers `201 Created` with a `Location` built by `urlFor`,
 * `GET /notes/:id` reads one. The caller is the JWT's `sub`, the same user id as the site's login,
 * so both see the same notes.
 *
 * @module
 */
import { bufferBody, jwtAuth, principalOf, routeParams, router } from '@portico/middleware';
import { type AsyncApp, type HeaderList, PorticoError, type Send } from '@portico/spec';
import { mediaType } from './forms.js';
import { httpHandler } from './handler.js';
import type { Note, NotesStore } from './notes-store.js';

/** The most JSON-body bytes read (16 KiB); more is a 413. */
export const JSON_LIMIT = 16_384;

/** Options of {@link api}. */
export interface ApiOptions {
  readonly notes: NotesStore;
  /** HS256 secret, at least 32 bytes. */
  readonly jwtSecret: Uint8Array;
  /** Required `iss` claim. */
  readonly issuer: string;
  /** Required `aud` claim. */
  readonly audience: string;
}

const encoder = new TextEncoder();

async function sendJson(send: Send, status: number, value: unknown, extra: HeaderList = []): Promise<void> {
  const body = encoder.encode(`${JSON.stringify(value)}\n`);
  await send({
    type: 'http.response.start',
    status,
    headers: [
      ['content-type', 'application/json'],
      ['content-length', String(body.byteLength)],
      ['cache-control', 'no-store'],
      ...extra,
    ],
  });
  await send({ type: 'http.response.body', body });
}

function badRequest(message: string, status = 400): PorticoError {
  return new PorticoError('ERR_BAD_REQUEST', message, { status, expose: true });
}

function noteJson(note: Note): Record<string, unknown> {
  return { id: note.id, text: note.text, createdAt: note.createdAt };
}

/**
 * The API app (mount it at `/api`): `jwtAuth({ algorithms: ['HS256'], key, issuer, audience,
 * roles: 'roles' })` around the routes. A request without a valid token never reaches them.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` (from `jwtAuth`) when the secret is shorter than 32 bytes
 */
export function api(options: ApiOptions): AsyncApp {
  const { notes } = options;
  const routes = router();
  routes
    .get(
      '/notes',
      httpHandler(async function listApiNotes(scope, _receive, send) {
        const who = principalOf(scope);
        if (who === undefined) throw new PorticoError('ERR_MIDDLEWARE_MISUSE', 'api: no principal');
        return sendJson(send, 200, { notes: notes.list(who.id).map(noteJson) });
      }),
      { name: 'notes' },
    )
    .get(
      '/notes/:id',
      httpHandler(async function readApiNote(scope, _receive, send) {
        const who = principalOf(scope);
        if (who === undefined) throw new PorticoError('ERR_MIDDLEWARE_MISUSE', 'api: no principal');
        const id = routeParams<'/notes/:id'>(scope).id;
        const note = /^[1-9]\d{0,15}$/.test(id) ? notes.find(who.id, Number(id)) : undefined;
        if (note === undefined) return sendJson(send, 404, { error: 'not found' });
        return sendJson(send, 200, noteJson(note));
      }),
      { name: 'note' },
    )
    .post(
      '/notes',
      httpHandler(async function createApiNote(scope, receive, send) {
        const who = principalOf(scope);
        if (who === undefined) throw new PorticoError('ERR_MIDDLEWARE_MISUSE', 'api: no principal');
        if (mediaType(scope) !== 'application/json')
          throw badRequest('expected an application/json body', 415);
        const { body } = await bufferBody(receive, { limit: JSON_LIMIT, headers: scope.headers });
        let value: unknown;
        try {
          value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
        } catch {
          throw badRequest('the body is not JSON');
        }
        const text = (value as { text?: unknown } | null)?.text;
        if (typeof text !== 'string') throw badRequest('expected {"text": string}');
        const note = notes.add(who.id, text);
        // rootPath is "/api" when mounted there, so the Location is /api/notes/<id>.
        const location = routes.urlFor('note', { id: note.id }, scope);
        return sendJson(send, 201, noteJson(note), [['location', location]]);
      }),
    );
  return jwtAuth({
    algorithms: ['HS256'],
    key: options.jwtSecret,
    issuer: options.issuer,
    audience: options.audience,
    roles: 'roles',
    realm: 'notes api',
  })(routes);
}
