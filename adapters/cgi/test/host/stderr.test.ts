/**
 * A program's standard error is logged to its last line before the request counts as done
 * (spec/servers.md SRV-CGI-8): the host reads the stderr pipe to its end after the program exits,
 * also when the program wrote its last lines just before exiting, after a complete response.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { memoryLogger } from '../../../../packages/server/test/memory-logger.js';
import { rule } from '../../../../packages/server/test/rule.js';
import { asyncApp } from '../../../../packages/spec/src/index.js';
import { createClient } from '../../../../packages/testing/src/index.js';
import { cgiHost } from '../../src/index.js';
import { type CGIRoot, makeRoot } from './helpers.js';

const LINES = 2000;
const dir: CGIRoot = makeRoot();
afterAll(() => dir.remove());

// The response first, complete; then a burst of stderr lines and a last line without a newline.
writeFileSync(
  join(dir.root, 'tail.sh'),
  [
    '#!/bin/sh',
    "printf 'Content-Type: text/plain\\nContent-Length: 3\\n\\nok\\n'",
    'exec 1>&-', // the response is complete and its pipe closed before any of the stderr lines
    'i=0',
    `while [ $i -lt ${LINES} ]; do echo "line $i of a long diagnostic burst" >&2; i=$((i+1)); done`,
    "printf 'the very last line' >&2",
    '',
  ].join('\n'),
  { mode: 0o755 },
);

describe('program standard error', () => {
  rule('SRV-CGI-8', 'every stderr line is logged by the time the host app returns', async () => {
    const logger = memoryLogger();
    const host = cgiHost({ root: dir.root, logger });
    // The response is complete before the program writes to stderr: wait for the host app itself.
    let run: Promise<void> = Promise.resolve();
    const app = asyncApp(async function awaitedHost(scope, receive, send) {
      run = host(scope, receive, send);
      await run;
    });
    const client = createClient(app, { rootPath: '/cgi-bin' });
    for (let round = 0; round < 5; round++) {
      const mark = logger.records.length;
      const res = await client.get('/cgi-bin/tail.sh');
      expect(res.status).toBe(200);
      expect(res.text()).toBe('ok\n');
      await run;
      const lines = logger.records
        .slice(mark)
        .map((r) => r.message)
        .filter((m) => m.startsWith('cgiHost: program stderr: '));
      expect(lines).toHaveLength(LINES + 1);
      expect(lines.at(-1)).toBe('cgiHost: program stderr: the very last line');
    }
  });
});
