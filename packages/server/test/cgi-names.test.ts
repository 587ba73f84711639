import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cgiVariableName } from '../src/cgi-names.js';
import { rule } from './rule.js';

describe('cgiVariableName', () => {
  it('maps header names to CGI meta-variables (RFC 3875 section 4.1.18)', () => {
    expect(cgiVariableName('x-forwarded-for')).toBe('HTTP_X_FORWARDED_FOR');
    expect(cgiVariableName('Accept')).toBe('HTTP_ACCEPT');
    expect(cgiVariableName('content-type')).toBe('CONTENT_TYPE');
    expect(cgiVariableName('Content-Length')).toBe('CONTENT_LENGTH');
  });

  rule('SRV-ENV-1', 'a Proxy header never becomes HTTP_PROXY (httpoxy)', () => {
    expect(cgiVariableName('proxy')).toBeNull();
    expect(cgiVariableName('Proxy')).toBeNull();
    expect(cgiVariableName('PROXY')).toBeNull();
  });

  rule('SRV-ENV-2', 'a header name with "_" is dropped, so it cannot shadow the "-" form', () => {
    expect(cgiVariableName('x_forwarded_for')).toBeNull();
    expect(cgiVariableName('content_length')).toBeNull();
  });

  it('never yields HTTP_PROXY nor a variable for a name containing _ (property)', () => {
    const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/);
    fc.assert(
      fc.property(token, (name) => {
        const key = cgiVariableName(name);
        expect(key).not.toBe('HTTP_PROXY');
        if (key !== null) expect(name).not.toContain('_');
      }),
    );
  });
});
