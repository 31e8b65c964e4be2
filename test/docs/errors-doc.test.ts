import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  const rows = new Map(
    [...doc.matchAll(/^\| `(GW_ERR_[A-Z_]+)` +\| (\d+) +\| `([a-z_]+)` +\| `([a-z_]+)` +\|/gm)].map(
      (match) => [match[1], { status: Number(match[2]), type: match[3], code: match[4] }],
    ),
  );

  it('lists every error code of the catalogue, and nothing else', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it('gives each code the status, type and code the gateway sends', () => {
    for (const [code, definition] of Object.entries(ERRORS)) {
      expect(rows.get(code), code).toEqual({
        status: definition.status,
        type: definition.type,
        code: definition.code,
      });
    }
  });
});
