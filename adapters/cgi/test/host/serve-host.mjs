// A CGI host served over HTTP in a process of its own (from dist/: run `npx tsc -b` first), for
// the tests that need to control which descriptors the host process holds. Usage:
// `node serve-host.mjs ROOT`; prints the server's address on standard output, stops on SIGTERM.
import { serve } from '../../../http/dist/index.js';
import { cgiHost } from '../../dist/index.js';

const server = await serve(cgiHost({ root: process.argv[2] }), { bind: ['127.0.0.1:0'], lifespan: 'off' });
process.stdout.write(`${server.addresses[0]}\n`);
process.on('SIGTERM', () => {
  server.close().then(() => process.exit(0));
});
