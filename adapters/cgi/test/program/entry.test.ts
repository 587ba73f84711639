/**
 * `@portico/cgi/program` is dist/program-entry.js: it compiles the bundled program script with the
 * V8 code cache the build made (src/program-entry.ts). What it exports, that the build's cache is
 * taken, and that a missing or foreign cache only costs time. The runCGI behaviour itself is tested
 * through this entry by every test of this directory (fixtures/program.mjs imports it).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as source from '../../src/program/index.js';
import { cgiEnv, jsonBody, requireBuild, runCGIProgram } from './helpers.js';

requireBuild();

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const ENTRY = join(DIST, 'program-entry.js');
const SCRIPT = join(DIST, 'program.script.cjs');

/** Runs `code` (an ES module) in a fresh Node process; returns its stdout, throws on failure. */
function node(code: string): string {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`node exited ${run.status}: ${run.stderr}`);
  return run.stdout;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the program entry', () => {
  it('exports the API of src/program/index.ts, from the bundled script', () => {
    const names = JSON.parse(
      node(`const m = await import(${JSON.stringify(ENTRY)}); console.log(JSON.stringify(Object.keys(m)));`),
    ) as string[];
    const internal = ['codeCacheStatus', 'createCodeCache', 'loadScript'];
    expect(names.filter((n) => !internal.includes(n)).sort()).toEqual(Object.keys(source).sort());
    expect(
      node(`const m = await import(${JSON.stringify(ENTRY)}); console.log(typeof m.runCGI, m.CGI_EXIT.OK);`),
    ).toBe('function 0\n');
  });

  it("takes the build's code cache (made by this Node)", () => {
    expect(node(`const m = await import(${JSON.stringify(ENTRY)}); console.log(m.codeCacheStatus());`)).toBe(
      'used\n',
    );
  });

  it('without a cache file, or with one V8 refuses, compiles the script from source and works the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-entry-'));
    dirs.push(dir);
    const script = join(dir, 'program.script.cjs');
    copyFileSync(SCRIPT, script);
    const load = (cache: string) =>
      node(
        `const { loadScript } = await import(${JSON.stringify(ENTRY)});` +
          `const s = loadScript(${JSON.stringify(script)}, ${JSON.stringify(cache)});` +
          `console.log(s.cache, typeof s.exports.runCGI, s.exports.isContainedPath('/a/../b'));`,
      );
    expect(load(join(dir, 'missing.cache'))).toBe('none function false\n');
    const foreign = join(dir, 'foreign.cache');
    writeFileSync(foreign, Buffer.alloc(4096, 0x5a));
    expect(load(foreign)).toBe('rejected function false\n');
  });

  it("a sync app's bridge loads through the script's dynamic imports", async () => {
    // (The lifespan runner does too: response.test.ts, 'lifespan on'.)
    const sync = await runCGIProgram(cgiEnv({ QUERY_STRING: 'x=1' }), { kind: 'null' }, ['sync']);
    expect(sync.status).toBe(0);
    expect(jsonBody(sync)).toMatchObject({ QUERY_STRING: 'x=1', REQUEST_METHOD: 'GET' });
  });
});
