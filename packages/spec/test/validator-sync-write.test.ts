/**
 * The sync validator's checks of the legacy write() callable (spec/sync.md "The write() callable").
 */
import { describe, expect, test } from 'vitest';
import type { SyncApp } from '../src/sync-types.js';
import { checkSyncApp } from '../src/validator/sync.js';
import { bytes, checked, collecting, serve, text, violationOf } from './helpers/validator-sync-server.js';

const ruleOf = (app: SyncApp) => violationOf(() => serve(checked(app)));

describe('write() (SYNC-WRITE-*)', () => {
  test('SYNC-WRITE-1: write() of a string is reported', () => {
    const err = ruleOf((_e, startResponse) => {
      startResponse('200 OK', [])('text' as unknown as Uint8Array);
      return [];
    });
    expect(err.rule).toBe('SYNC-WRITE-1');
    expect(err.message).toContain('string');
  });

  test('SYNC-WRITE-1: write() with two arguments is reported', () => {
    const err = ruleOf((_e, startResponse) => {
      (startResponse('200 OK', []) as (...args: unknown[]) => void)(bytes('a'), bytes('b'));
      return [];
    });
    expect(err.rule).toBe('SYNC-WRITE-1');
  });

  test('SYNC-WRITE-2: write() from inside the body iteration is reported', () => {
    const err = ruleOf(function* app(_e, startResponse) {
      const write = startResponse('200 OK', []);
      yield bytes('a');
      write(bytes('b'));
    });
    expect(err.rule).toBe('SYNC-WRITE-2');
  });

  test('write() during the app call, then the iterable, is valid and keeps order', () => {
    const { report, violations } = collecting();
    const app = checkSyncApp((_e, startResponse) => {
      const write = startResponse('200 OK', [['Content-Length', '6']]);
      write(bytes('abc'));
      return [bytes('def')];
    }, report);
    expect(text(serve(app).body)).toBe('abcdef');
    expect(violations).toEqual([]);
  });
});
