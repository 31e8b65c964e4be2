/** Keeps docs/inbound/responses.md in step with the code: every request field it validates is covered. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ResponsesRequestSchema } from '../../schemas/responses.js';
import { ERRORS } from '../../src/errors.js';

const doc = readFileSync(new URL('../../docs/inbound/responses.md', import.meta.url), 'utf8');

describe('docs/inbound/responses.md', () => {
  it('says what becomes of every field of the request schema', () => {
    const section = doc.slice(doc.indexOf('## The request, translated'), doc.indexOf('### Input items'));
    for (const field of Object.keys(ResponsesRequestSchema.properties)) {
      expect(section, field).toMatch(new RegExp(`\`${field}[\`.:]`));
    }
  });

  it('names only error codes the gateway sends', () => {
    const codes = new Set<string>(Object.values(ERRORS).map((definition) => definition.code));
    for (const match of doc.matchAll(/(?:400|404|503) `([a-z_]+)`/g))
      expect(codes, match[1]).toContain(match[1]);
  });
});
