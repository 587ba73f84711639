import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isPorticoError, type PorticoError } from '../src/errors.js';
import { detectInterface } from '../src/interface.js';
import { type LoadAppOptions, type LoadedApp, loadApp, parseAppTarget } from '../src/load.js';
import { bodyOf, httpScope, run } from './fixtures/transcript.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const apps = join(fixtures, 'apps.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'portico-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, source: string): string {
  const path = join(tmp, name);
  writeFileSync(path, source);
  return path;
}

/** The ERR_APP_LOAD error loadApp rejects with (fails the test when it resolves). */
async function loadError(target: string, options: LoadAppOptions = { cwd: fixtures }): Promise<PorticoError> {
  let loaded: LoadedApp | undefined;
  try {
    loaded = await loadApp(target, options);
  } catch (err) {
    expect(isPorticoError(err, 'ERR_APP_LOAD')).toBe(true);
    const e = err as PorticoError;
    expect(e.message).not.toMatch(/[\r\n]/); // one line
    return e;
  }
  throw new Error(`loadApp(${target}) loaded ${loaded.interface} app`);
}

describe('parseAppTarget', () => {
  it.each([
    ['app.js', 'app.js', undefined],
    ['app.js:handler', 'app.js', 'handler'],
    ['./src/app.ts:default', './src/app.ts', 'default'],
    ['C:\\srv\\app.js', 'C:\\srv\\app.js', undefined],
    ['C:\\srv\\app.js:main', 'C:\\srv\\app.js', 'main'],
    ['file:///srv/app.js', 'file:///srv/app.js', undefined],
    ['file:///srv/app.js:app', 'file:///srv/app.js', 'app'],
    ['@scope/pkg:app', '@scope/pkg', 'app'],
    ['./a:b:c', './a:b', 'c'],
    ['app.js:not-an-identifier', 'app.js:not-an-identifier', undefined],
    ['app.js:$ok_1', 'app.js', '$ok_1'],
    [':x', ':x', undefined],
  ])('%s', (target, module, exportName) => {
    expect(parseAppTarget(target)).toEqual({ module, export: exportName });
  });
});

describe('loadApp', () => {
  it('loads the default export and wraps a sync app', async () => {
    const loaded = await loadApp('apps.mjs', { cwd: fixtures });
    expect(loaded.interface).toBe('sync');
    expect(loaded.asyncApp).not.toBe(loaded.app);
    expect(detectInterface(loaded.asyncApp)).toBe('async');
    expect(bodyOf(await run(loaded.asyncApp, httpScope()))).toBe('Hello from sync');
  });

  it('loads a named async export as it is', async () => {
    const loaded = await loadApp(`${apps}:asyncHello`);
    expect(loaded.interface).toBe('async');
    expect(loaded.asyncApp).toBe(loaded.app);
    expect(bodyOf(await run(loaded.asyncApp, httpScope()))).toBe('Hello from async');
  });

  it.each([
    ['./apps.mjs:asyncByArity', 'async'],
    ['apps:marked', 'sync'], // extension found by probing
    ['./apps', 'sync'],
  ])('detects the interface of %s', async (target, iface) => {
    expect((await loadApp(target, { cwd: fixtures })).interface).toBe(iface);
  });

  it('honours the interface override', async () => {
    expect((await loadApp('apps.mjs:ambiguous', { cwd: fixtures, interface: 'async' })).interface).toBe(
      'async',
    );
    expect((await loadApp('apps.mjs:asyncHello', { cwd: fixtures, interface: 'sync' })).interface).toBe(
      'sync',
    );
  });

  it('loads from an absolute path and a file: URL', async () => {
    expect((await loadApp(apps, { cwd: tmp })).interface).toBe('sync');
    expect((await loadApp(`${pathToFileURL(apps).href}:asyncHello`, { cwd: tmp })).interface).toBe('async');
  });

  it('finds a CommonJS export on module.exports', async () => {
    const loaded = await loadApp('cjs-app.cjs:handler', { cwd: fixtures });
    expect(loaded.interface).toBe('sync');
    expect(bodyOf(await run(loaded.asyncApp, httpScope()))).toBe('cjs handler');
    expect(bodyOf(await run((await loadApp('cjs-app.cjs', { cwd: fixtures })).asyncApp, httpScope()))).toBe(
      'cjs default',
    );
  });

  it('unwraps the default export of an ESM module transpiled to CommonJS (__esModule)', async () => {
    const loaded = await loadApp('transpiled-esm.cjs', { cwd: fixtures });
    expect(loaded.interface).toBe('sync');
    expect(bodyOf(await run(loaded.asyncApp, httpScope()))).toBe('transpiled default');
  });

  it('resolves a package specifier', async () => {
    const err = await loadError('fast-check');
    expect(err.message).toMatch(/^export 'default' of fast-check is not an app: it is an object with keys /);
  });
});

describe('loadApp errors: one line naming what was wrong', () => {
  it('module not found: names the path tried', async () => {
    expect((await loadError('./missing.mjs')).message).toBe(
      `module not found: ${join(fixtures, 'missing.mjs')}`,
    );
    expect((await loadError(join(tmp, 'nope.js'))).message).toBe(`module not found: ${join(tmp, 'nope.js')}`);
    expect((await loadError(`${pathToFileURL(join(tmp, 'nope.js')).href}:app`)).message).toBe(
      `module not found: ${join(tmp, 'nope.js')}`,
    );
    expect((await loadError('no-such-package-xyz:app')).message).toBe(
      `module not found: no-such-package-xyz (not a file in ${resolve(fixtures)}, and no package of that name is installed)`,
    );
  });

  it('module failed to load: gives its error', async () => {
    const thrower = write('throws.mjs', "throw new Error('kaput at import');\n");
    expect((await loadError(thrower)).message).toBe(`cannot load module ${thrower}: Error: kaput at import`);
    const importer = write('imports.mjs', "import 'no-such-package-q';\nexport default () => {};\n");
    expect((await loadError(importer)).message).toMatch(
      new RegExp(`^cannot load module ${importer}: .*no-such-package-q`),
    );
    const broken = write('broken.mjs', 'export default function (a, b {\n  return 1;\n}\n');
    // Under vitest the module goes through Vite's transform, which words the syntax error its own
    // way; the plain-Node test below checks Node's wording.
    expect((await loadError(broken)).message).toMatch(new RegExp(`^cannot load module ${broken}: \\S`));
  });

  it('export not found: lists the exports', async () => {
    expect((await loadError('apps.mjs:nope')).message).toBe(
      `module ${apps} has no export 'nope'; its exports: AClass, aString, ambiguous, asyncByArity, asyncHello, default, marked, notAnApp`,
    );
    expect((await loadError('no-exports.mjs')).message).toBe(
      `module ${join(fixtures, 'no-exports.mjs')} has no export 'default'; it has no exports`,
    );
  });

  it.each([
    ['notAnApp', ' is not an app: it is an object with keys port'],
    ['aString', ' is not an app: it is a string ("hello")'],
    ['AClass', ' is not an app: it is a class (an app is a function)'],
    ['ambiguous', ': cannot tell the interface of app ambiguous: it declares 0 parameters'],
  ])('export not an app: %s', async (name, says) => {
    const err = await loadError(`apps.mjs:${name}`);
    expect(err.message).toContain(`export '${name}' of ${apps}${says}`);
    expect(err.message.startsWith(`export '${name}'`)).toBe(true);
  });

  it('refuses an empty target and a bad interface option', async () => {
    await loadError('  ');
    await expect(loadApp('apps.mjs', { cwd: fixtures, interface: 'both' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
  });
});

describe('loadApp under plain Node (dist/: `pnpm build` first)', () => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

  function loadInNode(target: string): string {
    const script = `import(${JSON.stringify(dist)}).then((m) => m.loadApp(${JSON.stringify(target)}))
      .then((l) => console.log('loaded', l.interface), (e) => console.log(e.code, e.message));`;
    const child = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      cwd: tmp,
      timeout: 20_000,
    });
    return child.stdout.trim();
  }

  it('names a syntax error and its location', () => {
    const broken = write(
      'broken-node.mjs',
      'const x = 1;\nexport default function (a, b {\n  return 1;\n}\n',
    );
    expect(loadInNode(broken)).toMatch(
      new RegExp(
        `^ERR_APP_LOAD cannot load module ${broken}: SyntaxError: .* \\(at .*broken-node\\.mjs:2\\)$`,
      ),
    );
  });

  it('says a TypeScript module needs a loader', () => {
    const ts = write('app.ts', 'export default function (environ: unknown, startResponse: unknown) {}\n');
    expect(loadInNode(ts)).toMatch(
      /^ERR_APP_LOAD cannot load module .*app\.ts: .*needs a loader registered first/,
    );
  });

  it('loads a package from the project', () => {
    expect(loadInNode(`${apps}:asyncHello`)).toBe('loaded async');
  });
});
