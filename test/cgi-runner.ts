/**
 * What the CGI runners share (test/cgi-*.test.ts): the conformance app as a CGI program, and a
 * {@link ConformanceRunner} that puts a CGI front end (Apache mod_cgi/mod_cgid, lighttpd mod_cgi,
 * Python's http.server, nginx + fcgiwrap) in front of it.
 *
 * The program is a wrapper shell script, as a deployment would have one (adapters/cgi/README.md):
 *
 * ```sh
 * #!/bin/sh
 * export PORTICO_PROBE_DIR='<temp dir>/probes'
 * exec '<node>' '<repo>/packages/cli/bin/portico.js' cgi '<repo>/test/conformance/apps.ts:conformanceApp'
 * ```
 *
 * - A CGI program is a new process per request, so the suite's probes (a streamed response the
 *   case releases chunk by chunk, the outcome of a client abort) go through files: the wrapper, not
 *   the web server, sets `PORTICO_PROBE_DIR` (test/conformance/apps.ts), and the runner hands the
 *   directory to the suite as `probeDir`. The directory is 0777: Apache runs programs as www-data,
 *   Python's server as nobody.
 * - `portico cgi` loads the TypeScript module through tsx (about 0.2 s a request on the development
 *   machine, against 0.08 s for a bundle: a suite of ~20 requests stays within seconds, so no build
 *   step). The CLI and the adapter run from dist/: run `npx tsc -b` first.
 * - The temp dir and the script are 0755 (readable and runnable by any user); the repository and
 *   node must be readable by that user too (they are on the test machines).
 * - The shell matters: when the environment holds a name twice (lighttpd's mod_cgi for two header
 *   fields that map to one HTTP_* name, fcgiwrap for nginx's param per repeated field), /bin/sh
 *   keeps the last value only when it execs node, so the adapter, which would read both from
 *   /proc/self/environ, sees one. The runners' `FrontEndBehaviour` says so where it shows.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AsyncApp } from '@portico/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { conformanceApp, probeHandle } from './conformance/apps.js';
import { type ClientResponse, fetchJSON, fetchRaw, headerOf } from './conformance/client.js';
import type { ConformanceRunner, FrontEndBehaviour } from './conformance/runner.js';
import { REPO_ROOT, tempDir } from './peers/peer.js';

/** The CLI; it runs from dist/ (`npx tsc -b`). */
export const CLI = join(REPO_ROOT, 'packages/cli/bin/portico.js');
/** The module and export the program runs. */
export const APP_TARGET = `${join(REPO_ROOT, 'test/conformance/apps.ts')}:conformanceApp`;

/** A temp dir holding the conformance app as a CGI program. */
export interface CgiApp {
  /** The temp dir (0755). */
  readonly dir: string;
  /** The wrapper script, `<dir>/cgi-bin/<name>` (0755). */
  readonly program: string;
  /** Where the program's probes keep their files (0777). */
  readonly probeDir: string;
  /** Removes the temp dir. */
  remove(): void;
}

/** A shell word in single quotes. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes the wrapper script `<temp dir>/cgi-bin/<name>` running the conformance app with
 * `portico cgi`, and its probe directory.
 *
 * @param name the script's file name (default `app.cgi`)
 * @param cliArgs more arguments for `portico cgi` (e.g. `--log-level`)
 */
export function makeCgiApp(name = 'app.cgi', cliArgs: readonly string[] = []): CgiApp {
  const { dir, remove } = tempDir('cgi-app');
  try {
    chmodSync(dir, 0o755);
    const bin = join(dir, 'cgi-bin');
    mkdirSync(bin, { mode: 0o755 });
    chmodSync(bin, 0o755);
    const probeDir = join(dir, 'probes');
    mkdirSync(probeDir);
    chmodSync(probeDir, 0o777);
    const program = join(bin, name);
    const command = [process.execPath, CLI, 'cgi', APP_TARGET, ...cliArgs].map(shellQuote).join(' ');
    writeFileSync(program, `#!/bin/sh\nexport PORTICO_PROBE_DIR=${shellQuote(probeDir)}\nexec ${command}\n`, {
      mode: 0o755,
    });
    chmodSync(program, 0o755);
    return { dir, program, probeDir, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** A CGI front end running a program, as a CGI runner starts it. */
export interface CgiFrontEnd {
  /** `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  /**
   * The path the front end serves the app at when it cannot mount it at the `rootPath` asked for
   * (Python's server runs programs only under /cgi-bin/); see `ConformanceServer.mount`.
   */
  readonly mount?: string;
  /** The front end's log so far (for failure messages). */
  logs(): string;
  /** Stops the front end. */
  stop(): Promise<void>;
}

/**
 * A runner of the conformance suite: each `start` writes the program ({@link makeCgiApp}) and has
 * `startFrontEnd` run it with the app mounted at `rootPath`.
 *
 * @throws Error from `start` when asked to serve another app than `conformanceApp` (the program
 *   loads that one by name; it cannot be handed a function)
 */
export function cgiRunner(
  name: string,
  frontEnd: FrontEndBehaviour,
  startFrontEnd: (app: CgiApp, rootPath: string) => Promise<CgiFrontEnd>,
): ConformanceRunner {
  return {
    name,
    frontEnd,
    async start(app: AsyncApp, { rootPath }) {
      if (app !== conformanceApp) throw new Error('a CGI runner serves the conformance app only');
      const program = makeCgiApp(rootPath === '' ? 'app.cgi' : 'mount.cgi');
      let front: CgiFrontEnd;
      try {
        front = await startFrontEnd(program, rootPath);
      } catch (error) {
        program.remove();
        throw error;
      }
      return {
        baseUrl: front.baseUrl,
        probeDir: program.probeDir,
        ...(front.mount === undefined ? {} : { mount: front.mount }),
        async close() {
          await front.stop();
          program.remove();
        },
      };
    },
  };
}

/** What the client gets for one of the app's responses, as a CGI front end passes it on. */
export interface SeenResponse {
  readonly status: number;
  /** Response header fields the case checks (names lowercase); `undefined`: must be absent. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body, or a part of it (`contains`) for a front end's own error page. */
  readonly body: string | { readonly contains: string };
}

/** What a CGI front end makes of the responses {@link cgiFrontEndCases} checks. */
export interface CgiFrontEndExpectations {
  /**
   * The app's local redirect (RFC 3875 section 6.2.2: 200, `location` `/head`, no body, which the
   * program writes as `Location: /head` alone), and why.
   */
  readonly localRedirect: SeenResponse & {
    readonly reason: string;
    /** What the front end's log then holds, if the case checks it. */
    readonly log?: string;
  };
  /** The app's 302 to an absolute URL with a body; default: passed on as it is. */
  readonly clientRedirect?: SeenResponse & { readonly reason: string };
}

/** The client redirect as every front end but Python's passes it on. */
const CLIENT_REDIRECT: SeenResponse = {
  status: 302,
  headers: { location: 'http://example.com/moved?from=app', status: undefined },
  body: 'moved',
};

function expectSeen(res: ClientResponse, seen: SeenResponse, logs: () => string): void {
  const headers = Object.fromEntries(Object.keys(seen.headers).map((name) => [name, headerOf(res, name)]));
  expect({ status: res.status, headers }, logs()).toEqual({ status: seen.status, headers: seen.headers });
  if (typeof seen.body === 'string') expect(res.body.toString()).toBe(seen.body);
  else expect(res.body.toString()).toContain(seen.body.contains);
}

/**
 * The cases of issue 4 the conformance suite does not have, for one CGI front end with the app at
 * `/`: redirects (local and client), a 100 MiB body read with the program's memory bounded, and an
 * app error with its stack in the front end's log.
 */
export function cgiFrontEndCases(
  name: string,
  expected: CgiFrontEndExpectations,
  startFrontEnd: (app: CgiApp, rootPath: string) => Promise<CgiFrontEnd>,
): void {
  describe(`${name}: redirects, memory, errors`, () => {
    let app: CgiApp;
    let front: CgiFrontEnd;
    let at = '';
    beforeAll(async () => {
      app = makeCgiApp();
      front = await startFrontEnd(app, '');
      at = front.mount ?? '';
    });
    afterAll(async () => {
      await front?.stop();
      app?.remove();
    });

    const local = expected.localRedirect;
    rule('SRV-CGI-3', `local redirect (Location: /head alone): ${local.reason}`, async () => {
      const res = await fetchRaw(front.baseUrl, { path: `${at}/redirect/local` });
      expectSeen(res, local, front.logs);
      if (local.log !== undefined) expect(front.logs()).toContain(local.log);
    });

    const client = expected.clientRedirect ?? { ...CLIENT_REDIRECT, reason: 'passed on as it is' };
    rule('SRV-CGI-3', `client redirect (302 with a Location URL and a body): ${client.reason}`, async () => {
      const res = await fetchRaw(front.baseUrl, { path: `${at}/redirect/client` });
      expectSeen(res, client, front.logs);
    });

    it('a 100 MiB body streams through the program: its peak RSS grows by far less than the body', async () => {
      const peak = async (size: number, id: string) => {
        const probe = probeHandle(app.probeDir, id);
        const body = Buffer.alloc(size, 0x5a);
        const got = await fetchJSON(front.baseUrl, { method: 'POST', path: `${at}/body?probe=${id}`, body });
        expect(got).toMatchObject({ length: size, sha256: createHash('sha256').update(body).digest('hex') });
        const kib = probe.maxRSS();
        expect(kib, `no ${id}.maxrss in ${app.probeDir}`).toBeGreaterThan(0);
        return kib! * 1024;
      };
      const base = await peak(0, 'rss-empty');
      const big = await peak(100 * 1024 * 1024, 'rss-100m');
      // Observed: 29 to 35 MiB more (garbage the GC has not collected yet, the 1 MiB read-ahead);
      // a program holding the body would need 100 MiB more.
      expect(big - base).toBeLessThan(64 * 1024 * 1024);
    });

    rule('SRV-CGI-4', "app error: the program's 500, and its error in the front end's log", async () => {
      const res = await fetchRaw(front.baseUrl, { path: `${at}/error` });
      expect(res.body.toString()).toBe('Internal Server Error\n');
      // The program's stderr (the error and its stack) reaches the front end's error log.
      const deadline = Date.now() + 5000;
      while (!front.logs().includes('conformance: deliberate failure') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(front.logs()).toContain('conformance: deliberate failure');
    });
  });
}
