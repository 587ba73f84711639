/**
 * The `SessionStore` interface that `session()` keeps its records in.
 *
 * @module
 */

/** What a store keeps per session id. */
export interface SessionRecord {
  /** The data: a plain object of JSON values. */
  data: Record<string, unknown>;
  /** When the session was issued (created or regenerated), ms since the epoch. */
  issuedAt: number;
  /** When the session was last written (seen), ms since the epoch. */
  seenAt: number;
}

/**
 * Where `session()` keeps records. Every method is async; a rejection makes the request a 500
 * (`ERR_SESSION_STORE`): sessions fail closed.
 */
export interface SessionStore {
  /** The record stored under `id`, or `undefined` when there is none (or it expired). */
  get(id: string): Promise<SessionRecord | undefined>;
  /** Stores `record` under `id`, to expire after `ttlMs` ms (a positive integer). */
  set(id: string, record: SessionRecord, ttlMs: number): Promise<void>;
  /** Deletes the record under `id` (no error when there is none). */
  destroy(id: string): Promise<void>;
}

/** Whether `value` has the shape of a {@link SessionRecord} (checked on what a store returns). */
export function isSessionRecord(value: unknown): value is SessionRecord {
  if (typeof value !== 'object' || value === null) return false;
  const { data, issuedAt, seenAt } = value as Partial<SessionRecord>;
  return (
    typeof data === 'object' &&
    data !== null &&
    !Array.isArray(data) &&
    typeof issuedAt === 'number' &&
    Number.isFinite(issuedAt) &&
    typeof seenAt === 'number' &&
    Number.isFinite(seenAt)
  );
}
