/**
 * `RedisStore`: session records in Redis, through a client the user passes (an `ioredis` client
 * fits the structural type).
 *
 * @module
 */

import { PorticoError } from '@portico/spec';
import { isSessionRecord, type SessionRecord, type SessionStore } from './store.js';

/**
 * The part of a Redis client `RedisStore` uses: `GET`, `SET key value PX ms` and `DEL`. An `ioredis`
 * 5 client (`new Redis(...)`) has it.
 */
export interface RedisClientLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', milliseconds: number): Promise<unknown>;
  del(key: string): Promise<number>;
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** The client, e.g. `new Redis(url, { maxRetriesPerRequest: 1 })` from ioredis. Required. */
  client: RedisClientLike;
  /** Prefix of every key. Default `"portico:sess:"`. */
  prefix?: string;
  /**
   * Ms a command may take before it counts as a failure (`ERR_SESSION_STORE`; the request gets a
   * 500). ioredis queues commands while reconnecting, so without this a down server stalls
   * requests. Default 2 000.
   */
  timeout?: number;
}

/**
 * Keeps each record as JSON under `prefix + id`, written with `SET ... PX ttl` so Redis expires it
 * itself. Every failure (and a command slower than `timeout`) rejects with `ERR_SESSION_STORE`.
 * A value that is not a record's JSON reads as no record.
 */
export class RedisStore implements SessionStore {
  readonly #client: RedisClientLike;
  readonly #prefix: string;
  readonly #timeout: number;

  /** @throws PorticoError `ERR_INVALID_OPTION` for a missing client or a bad option */
  constructor(options: RedisStoreOptions) {
    const client = options?.client as Partial<RedisClientLike> | undefined;
    if (
      typeof client !== 'object' ||
      client === null ||
      typeof client.get !== 'function' ||
      typeof client.set !== 'function' ||
      typeof client.del !== 'function'
    ) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        'option client is invalid: expected a Redis client (get/set/del)',
      );
    }
    const { prefix = 'portico:sess:', timeout = 2000 } = options;
    if (typeof prefix !== 'string')
      throw new PorticoError('ERR_INVALID_OPTION', 'option prefix is invalid: expected a string');
    if (typeof timeout !== 'number' || !(timeout > 0)) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        'option timeout is invalid: expected a positive number of ms',
      );
    }
    this.#client = options.client;
    this.#prefix = prefix;
    this.#timeout = timeout;
  }

  /** The Redis key of a session id. */
  key(id: string): string {
    return this.#prefix + id;
  }

  async #run<T>(what: string, command: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer after ${this.#timeout} ms`)), this.#timeout);
        }),
      ]);
    } catch (error) {
      throw new PorticoError(
        'ERR_SESSION_STORE',
        `redis session store: ${what} failed: ${(error as Error)?.message}`,
        {
          cause: error,
          status: 500,
        },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const text = await this.#run('GET', () => this.#client.get(this.key(id)));
    if (typeof text !== 'string') return undefined;
    try {
      const record: unknown = JSON.parse(text);
      return isSessionRecord(record) ? record : undefined;
    } catch {
      return undefined;
    }
  }

  async set(id: string, record: SessionRecord, ttlMs: number): Promise<void> {
    const ms = Math.max(1, Math.ceil(ttlMs));
    await this.#run('SET', () => this.#client.set(this.key(id), JSON.stringify(record), 'PX', ms));
  }

  async destroy(id: string): Promise<void> {
    await this.#run('DEL', () => this.#client.del(this.key(id)));
  }
}
