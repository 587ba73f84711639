import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePath, splitRootPath } from '../src/path.js';
import { collecting, hello, httpScope, request, run, validate } from './helpers/communicator.js';

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8');
const asyncSpec = read('../../../spec/async.md');
const extensionsSpec = read('../../../spec/extensions.md');

/** A table cell: backticks removed, `""` is the empty string, `\xHH` a raw byte (one char). */
function cell(text: string): string {
  const inner = text.trim().replace(/^`(.*)`$/, '$1');
  if (inner === '""') return '';
  return inner.replace(/\\x([0-9A-F]{2})/g, (_m, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

const rows = asyncSpec
  .split('\n')
  .filter((line) => /^\| \d+ \|/.test(line))
  .map((line) => line.split('|').slice(1, -1).map(cell));

describe('spec/async.md section 9: the path table', () => {
  it('has the rows the issue asks for', () => {
    expect(rows.length).toBeGreaterThanOrEqual(15);
  });

  it.each(rows)(
    'row %s: %s with rootPath %s',
    async (_n, target, configured, rawPath, queryString, rootPath, path) => {
      const q = target.indexOf('?');
      expect([rawPath, queryString]).toEqual(
        q < 0 ? [target, ''] : [target.slice(0, q), target.slice(q + 1)],
      );
      expect(splitRootPath(decodePath(rawPath), configured)).toEqual([rootPath, path]);
      const { violations, onViolation } = collecting();
      const scope = httpScope({
        method: target === '*' ? 'OPTIONS' : 'GET',
        rawPath,
        queryString,
        rootPath,
        path,
      });
      await run(validate(hello, onViolation), scope, [request()]);
      expect(violations).toEqual([]);
    },
  );
});

describe('every ASYNC- and EXT- rule has a check and a test that breaks it', () => {
  const defined = [
    ...`${asyncSpec}\n${extensionsSpec}`.matchAll(/\*\*\[((?:ASYNC|EXT)-[A-Z]+-\d+)\]\*\*/g),
  ].map((m) => m[1] as string);
  const dir = new URL('../src/validator/', import.meta.url);
  const sources = readdirSync(dir)
    .filter((f) => f.startsWith('async'))
    .map((f) => readFileSync(new URL(f, dir), 'utf8'))
    .join('\n');
  const tests = readdirSync(new URL('.', import.meta.url))
    .filter((f) => f.startsWith('validator-async') && f !== 'validator-async-spec.test.ts')
    .map((f) => read(f))
    .join('\n');

  it('each id is defined once', () => {
    expect(new Set(defined).size).toBe(defined.length);
  });

  it.each(defined)('%s', (id) => {
    expect(sources).toContain(`'${id}'`);
    expect(tests).toContain(`'${id}'`);
  });

  it('the validator reports no id the specs do not define', () => {
    const used = new Set([...sources.matchAll(/'((?:ASYNC|EXT)-[A-Z]+-\d+)'/g)].map((m) => m[1]));
    expect([...used].filter((id) => !defined.includes(id as string))).toEqual([]);
  });
});
