// @ts-check
/**
 * Portico on @portico/http serving apps/hello-async.js behind the typical middleware stack of
 * bench/middleware.js (apps/hello-stack.js). No server access log (the stack's accessLog writes its
 * lines to a no-op), server log at `warn`, as servers/portico.js.
 */
import { serve } from '@portico/http';
import { createLogger } from '@portico/server';
import hello from '../apps/hello-async.js';
import { typicalStack } from '../apps/hello-stack.js';
import { HOST, ready } from './ready.js';

const server = await serve(typicalStack(hello), { bind: [`${HOST}:0`], logger: createLogger('warn') });
const first = server.addresses[0] ?? '';
ready(Number(/:(\d+)$/.exec(first)?.[1] ?? 0));
