// @ts-check
/** Fastify 5, logger off. */
import Fastify from 'fastify';
import { HOST, ready } from './ready.js';

const BODY = Buffer.from('Hello, world!\n');
const app = Fastify({ logger: false });
app.get('/', (_request, reply) => {
  reply.header('content-type', 'text/plain; charset=utf-8').send(BODY);
});

await app.listen({ host: HOST, port: 0 });
const address = app.server.address();
ready(typeof address === 'object' && address !== null ? address.port : 0);
