/**
 * Keeps spec/ and the code that enforces it from drifting apart (STYLE.md §1):
 * - every MUST in spec/ carries a rule id `**[DOC-AREA-N]**`, and each id is defined once;
 * - every SYNC-/ASYNC-/MW-/EXT- id has a check in the validator (packages/spec/src/validator);
 * - every SRV- id has a check in server-side source (adapters, the server kit, the bridges or the validator);
 * - every id has a test that breaks the rule (a `*.test.ts` naming the id in a string literal);
 * - no code names an id that spec/ does not define.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');
const ID = String.raw`(?:SYNC|ASYNC|MW|EXT|SRV)-[A-Z0-9]+-\d+`;
const DEFINITION = new RegExp(String.raw`\*\*\[(${ID})\]\*\*`, 'g');
const LITERAL = new RegExp(String.raw`['"\`](${ID})['"\`]`, 'g');

function walk(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, keep, out);
    else if (keep(path)) out.push(path);
  }
  return out;
}

function literals(files: readonly string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(LITERAL)) {
      const id = m[1] as string;
      const where = found.get(id) ?? [];
      where.push(relative(root, file));
      found.set(id, where);
    }
  }
  return found;
}

const specFiles = walk(join(root, 'spec'), (p) => p.endsWith('.md'));
const definitions = new Map<string, string>();
const duplicates: string[] = [];
const mustWithoutId: string[] = [];
for (const file of specFiles) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(DEFINITION)) {
    const id = m[1] as string;
    if (definitions.has(id)) duplicates.push(`${id} in ${relative(root, file)} and ${definitions.get(id)}`);
    definitions.set(id, relative(root, file));
  }
  // A paragraph or list item that states a MUST carries an id (spec/README.md, which states the
  // conventions, the paragraph quoting RFC 2119's words, code blocks and tables are exempt).
  if (file.endsWith('README.md')) continue;
  const withoutCode = text.replace(/```[\s\S]*?```/g, '');
  for (const block of withoutCode.split(/\n\s*\n|\n(?=\s*[-*] |\s*\d+\. )/)) {
    if (!/\bMUST\b/.test(block) || /RFC 2119|BCP 14/.test(block) || block.trimStart().startsWith('|'))
      continue;
    if (!new RegExp(String.raw`\*\*\[${ID}\]\*\*`).test(block)) {
      mustWithoutId.push(`${relative(root, file)}: ${block.trim().slice(0, 100)}`);
    }
  }
}

const isTest = (p: string) => p.endsWith('.test.ts') && !p.endsWith('spec-ids.test.ts');
const isSource = (p: string) => p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts');
const validatorChecks = literals(walk(join(root, 'packages/spec/src/validator'), isSource));
const serverChecks = literals([
  ...walk(join(root, 'adapters'), (p) => isSource(p) && p.includes('/src/')),
  ...walk(join(root, 'packages'), (p) => isSource(p) && p.includes('/src/')),
]);
const tests = literals([
  ...walk(join(root, 'packages'), isTest),
  ...walk(join(root, 'adapters'), isTest),
  ...walk(join(root, 'test'), (p) => isTest(p) || (p.includes('/conformance/') && isSource(p))),
]);

describe('spec rule ids', () => {
  test('spec/ defines rule ids', () => {
    expect(specFiles.length).toBeGreaterThanOrEqual(5);
    expect(definitions.size).toBeGreaterThan(0);
  });

  test('each id is defined once', () => {
    expect(duplicates).toEqual([]);
  });

  test('every MUST carries an id', () => {
    expect(mustWithoutId).toEqual([]);
  });

  test('every interface and middleware rule has a check in the validator', () => {
    const missing = [...definitions.keys()].filter(
      (id) => !id.startsWith('SRV-') && !validatorChecks.has(id),
    );
    expect(missing).toEqual([]);
  });

  test('every server rule has a check in server-side source', () => {
    const missing = [...definitions.keys()].filter((id) => id.startsWith('SRV-') && !serverChecks.has(id));
    expect(missing).toEqual([]);
  });

  test('every rule has a test that breaks it', () => {
    const missing = [...definitions.keys()].filter((id) => !tests.has(id));
    expect(missing).toEqual([]);
  });

  test('no code or test names an id that spec/ does not define', () => {
    const orphans = [...new Set([...validatorChecks.keys(), ...serverChecks.keys(), ...tests.keys()])]
      .filter((id) => !definitions.has(id))
      .map((id) => `${id} (${[...(serverChecks.get(id) ?? []), ...(tests.get(id) ?? [])].join(', ')})`);
    expect(orphans).toEqual([]);
  });
});
