import { createClient } from '@portico/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cookieSession, createSessionCodec, decodePayload, encodePayload } from '../../src/sessions/index.js';
import { cookieValue, leaves, req, type Seen } from './apps.js';

const KEY = 'codec-property-test-key-of-32-bytes!!';
const NAME = 'portico.session';
const codec = createSessionCodec([KEY, new Uint8Array(32).fill(7)], NAME);

const data = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 });

describe('the cookie session codec', () => {
  it('round-trips any JSON-able session data', () => {
    fc.assert(
      fc.property(data, fc.integer({ min: 0, max: 2 ** 42 }), (d, t) => {
        const sealed = codec.seal(encodePayload({ issuedAt: t, seenAt: t + 1, data: d }));
        expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
        const back = decodePayload(codec.open(sealed));
        expect(back?.issuedAt).toBe(t);
        expect(back?.seenAt).toBe(t + 1);
        expect(JSON.stringify(back?.data)).toBe(JSON.stringify(d));
      }),
    );
  });

  it('opens garbage as undefined without throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.base64String(), fc.stringMatching(/^[A-Za-z0-9_-]{0,200}$/)),
        (junk) => {
          expect(codec.open(junk)).toBeUndefined();
          expect(() => decodePayload(junk)).not.toThrow();
        },
      ),
    );
  });

  it('refuses every single-byte change of a sealed value', () => {
    const sealed = codec.seal(encodePayload({ issuedAt: 1, seenAt: 2, data: { user: 'alice' } }));
    const bytes = Buffer.from(sealed, 'base64url');
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const copy = Buffer.from(bytes);
        copy[at] = (copy[at] ?? 0) ^ xor;
        expect(codec.open(copy.toString('base64url'))).toBeUndefined();
      }),
    );
  });
});

for (const { kind, app } of leaves) {
  describe(`cookieSession() properties on a ${kind} app`, () => {
    const client = createClient(cookieSession({ keys: [KEY] })(app));

    it('round-trips any JSON-able data across two requests', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), {
            minKeys: 1,
            maxKeys: 5,
          }),
          async (d) => {
            const expected = JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
            const ops = Object.keys(d).map((k) => ['set', k, d[k]] as ['set', string, unknown]);
            const res = await createClient(cookieSession({ keys: [KEY] })(app), {
              raiseAppErrors: false,
            }).get('/', req(undefined, ops));
            fc.pre(res.status === 200); // a session over 4 KB is a 500 (tested elsewhere)
            const back = await client.get('/', req(`${NAME}=${cookieValue(res, NAME)}`));
            expect(JSON.stringify((back.json() as Seen).before.data)).toBe(JSON.stringify(expected));
          },
        ),
        { numRuns: 40 },
      );
    });

    it('reads any garbage cookie value as an empty new session', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.stringMatching(/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{0,300}$/),
          async (junk) => {
            const res = await client.get('/', req(`${NAME}=${junk}`));
            expect(res.status).toBe(200);
            expect((res.json() as Seen).before).toEqual({ data: {}, isNew: true, id: null });
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}
