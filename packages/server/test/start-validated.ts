/**
 * Starting an adapter for a test: the app wrapped in the validator (violations collected, not
 * thrown, so a test can assert there were none), a memory logger, 127.0.0.1 on a free port,
 * lifespan off unless the options say otherwise.
 */
import type { AsyncApp } from '@portico/spec';
import { validateAsync } from '@portico/spec';
import type { Logger } from '../src/index.js';
import { memoryLogger } from './memory-logger.js';

/** A server under test. */
export interface Running<S> {
  server: S;
  port: number;
  logger: ReturnType<typeof memoryLogger>;
  /** Violations the validator reported. */
  violations: string[];
}

/** The options every adapter's `serve()` takes that this helper sets. */
interface Base {
  bind?: string[];
  lifespan?: 'auto' | 'on' | 'off';
  logger?: Logger;
}

/** Serves `app` with `serve` (an adapter's), validated, on a free loopback port. */
export async function startValidated<S extends { addresses: string[] }, O extends Base>(
  serve: (app: AsyncApp, options: O) => Promise<S>,
  app: AsyncApp,
  options: O,
): Promise<Running<S>> {
  const logger = memoryLogger();
  const violations: string[] = [];
  const checked = validateAsync(app, { onViolation: (err) => violations.push(err.message) });
  const server = await serve(checked, { bind: ['127.0.0.1:0'], lifespan: 'off', logger, ...options });
  const port = Number(/:(\d+)$/.exec(server.addresses[0]!)![1]);
  return { server, port, logger, violations };
}
