/**
 * The notes, in memory, one list per user. Gone when the process exits: this is an example, not a
 * database.
 *
 * @module
 */
import { PorticoError } from '@portico/spec';

/** The most characters a note may hold. */
export const MAX_NOTE_LENGTH = 1000;

/** One note. */
export interface Note {
  /** Unique within the store, from 1 up. */
  readonly id: number;
  /** The text as the user typed it (never HTML: pages escape it). */
  readonly text: string;
  /** When it was created, an ISO 8601 UTC timestamp. */
  readonly createdAt: string;
}

/** An in-memory store of notes keyed by user id (the principal's `id`). */
export class NotesStore {
  readonly #byUser = new Map<string, Note[]>();
  #nextId = 1;

  /** The user's notes, oldest first (a copy). */
  list(user: string): readonly Note[] {
    return [...(this.#byUser.get(user) ?? [])];
  }

  /** One of the user's notes by id, or `undefined` (another user's note is not found either). */
  find(user: string, id: number): Note | undefined {
    return this.#byUser.get(user)?.find((n) => n.id === id);
  }

  /**
   * Adds a note for `user`. Leading and trailing white space is trimmed.
   *
   * @throws PorticoError `ERR_BAD_REQUEST` (400, exposed) when the text is empty or longer than
   *   {@link MAX_NOTE_LENGTH} characters
   */
  add(user: string, text: string): Note {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.length > MAX_NOTE_LENGTH) {
      throw new PorticoError('ERR_BAD_REQUEST', `a note needs 1 to ${MAX_NOTE_LENGTH} characters`, {
        status: 400,
        expose: true,
      });
    }
    const note: Note = { id: this.#nextId++, text: trimmed, createdAt: new Date().toISOString() };
    const list = this.#byUser.get(user);
    if (list === undefined) this.#byUser.set(user, [note]);
    else list.push(note);
    return note;
  }

  /** How many notes each user has (users without notes are absent). */
  counts(): ReadonlyMap<string, number> {
    return new Map([...this.#byUser].map(([user, notes]) => [user, notes.length]));
  }
}
