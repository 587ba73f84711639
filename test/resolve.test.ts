import { detectInterface } from '@portico/spec';
import { expect, test } from 'vitest';

test('workspace packages resolve to their TypeScript source under vitest', async () => {
  const url = import.meta.resolve?.('@portico/spec');
  expect(detectInterface(async () => {})).toBe('async');
  expect(typeof url === 'string' ? url : '').not.toContain('/dist/');
});
