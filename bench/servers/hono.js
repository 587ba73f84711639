// @ts-check
/** Hono on its Node adapter (@hono/node-server). */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { HOST, ready } from './ready.js';

const app = new Hono();
app.get('/', (c) => c.text('Hello, world!\n'));

serve({ fetch: app.fetch, hostname: HOST, port: 0 }, (info) => ready(info.port));
