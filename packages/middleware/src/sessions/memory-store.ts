/**
 * `MemoryStore`: the in-process session store (one process only; records are lost on restart).
 *
 * @module
 */

import { PorticoError } from '@portico/spec';
import type { SessionRecord, SessionStore } from './store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** The most records kept; past it the least recently written are dropped. Default 10 000. */
  maxEntries?: number;
  /** How often expired records are swept, ms (lazily, on a store call; no timer). Default 60 000. */
  sweepInterval?: number;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

interface Entry {
  json: string;
  expiresAt: number;
}

/**
 * Keeps session records in a `Map`, as JSON text (so no caller can change a stored record), each
 * with its expiry. Expired records are never returned, and are swept every `sweepInterval` ms; when
 * a write would pass `maxEntries`, expired records are swept and then the least recently written
 * ones dropped (their sessions end).
 */
export class MemoryStore implements SessionStore {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #sweepInterval: number;
  readonly #now: () => number;
  #lastSweep: number;

  /** @throws PorticoError `ERR_INVALID_OPTION` for a bad option */
  constructor(options: MemoryStoreOptions = {}) {
    const { maxEntries = 10_000, sweepInterval = 60_000, now = Date.now } = options;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        'option maxEntries is invalid: expected a positive integer',
        {
          value: maxEntries,
        },
      );
    }
    if (typeof sweepInterval !== 'number' || !(sweepInterval > 0)) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        'option sweepInterval is invalid: expected a positive number of ms',
        {
          value: sweepInterval,
        },
      );
    }
    if (typeof now !== 'function')
      throw new PorticoError('ERR_INVALID_OPTION', 'option now is invalid: expected a function');
    this.#maxEntries = maxEntries;
    this.#sweepInterval = sweepInterval;
    this.#now = now;
    this.#lastSweep = now();
  }

  /** How many records are held (expired ones included until swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** Drops every expired record now. */
  sweep(): void {
    const now = this.#now();
    this.#lastSweep = now;
    for (const [id, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(id);
  }

  #maybeSweep(): void {
    if (this.#now() - this.#lastSweep >= this.#sweepInterval) this.sweep();
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    this.#maybeSweep();
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return JSON.parse(entry.json) as SessionRecord;
  }

  async set(id: string, record: SessionRecord, ttlMs: number): Promise<void> {
    this.#maybeSweep();
    this.#entries.delete(id); // re-inserted last: Map order is write order
    if (this.#entries.size >= this.#maxEntries) this.sweep();
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size < this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(id, { json: JSON.stringify(record), expiresAt: this.#now() + ttlMs });
  }

  async destroy(id: string): Promise<void> {
    this.#entries.delete(id);
  }
}
