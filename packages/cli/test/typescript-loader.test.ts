import { describe, expect, it } from 'vitest';
import { modulePart, needsTypeScriptLoader } from '../src/typescript-loader.js';

describe('modulePart', () => {
  it.each([
    ['app.js', 'app.js'],
    ['app.js:hello', 'app.js'],
    ['./dir/app.ts:default', './dir/app.ts'],
    ['@scope/pkg:app', '@scope/pkg'],
    ['C:\\apps\\app.ts', 'C:\\apps\\app.ts'],
    ['C:\\apps\\app.ts:hello', 'C:\\apps\\app.ts'],
    ['file:///srv/app.js', 'file:///srv/app.js'],
  ])('%s -> %s', (target, module) => {
    expect(modulePart(target)).toBe(module);
  });
});

describe('needsTypeScriptLoader', () => {
  it.each(['app.ts', 'app.mts', 'app.cts', 'app.tsx', 'examples/hello/async.ts:default', 'APP.TS'])(
    '%s needs it',
    (target) => {
      expect(needsTypeScriptLoader(target)).toBe(true);
    },
  );

  it.each(['app.js', 'app.mjs', 'app.cjs', 'app.d.ts.js', 'pkg', 'app.ts.js:x', 'types.tsv'])(
    '%s does not',
    (target) => {
      expect(needsTypeScriptLoader(target)).toBe(false);
    },
  );
});
