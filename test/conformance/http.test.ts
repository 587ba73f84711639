/** The conformance suite on @portico/http. */
import { serve } from '@portico/http';
import { conformanceSuite } from './suite.js';

conformanceSuite({
  name: '@portico/http',
  async start(app, { rootPath }) {
    const server = await serve(app, { bind: ['127.0.0.1:0'], rootPath, lifespan: 'off' });
    return { baseUrl: server.addresses[0]!, close: () => server.close() };
  },
});
