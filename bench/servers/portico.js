// @ts-check
/**
 * Portico on @portico/http: `node portico.js async` serves apps/hello-async.js directly,
 * `node portico.js sync` serves apps/hello-sync.js through the sync-to-async bridge. No access log,
 * server log at `warn`, lifespan as `portico serve` runs it (auto).
 */
import { serve } from '@portico/http';
import { createLogger } from '@portico/server';
import { syncToAsync } from '@portico/spec';
import helloAsync from '../apps/hello-async.js';
import helloSync from '../apps/hello-sync.js';
import { HOST, ready } from './ready.js';

const which = process.argv[2];
if (which !== 'async' && which !== 'sync') throw new Error('usage: node portico.js async|sync');
const app = which === 'async' ? helloAsync : syncToAsync(helloSync);

const server = await serve(app, { bind: [`${HOST}:0`], logger: createLogger('warn') });
const first = server.addresses[0] ?? '';
ready(Number(/:(\d+)$/.exec(first)?.[1] ?? 0));
