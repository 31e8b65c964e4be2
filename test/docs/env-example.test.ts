import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { environmentVariables } from '../../src/config.js';

const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').split('\n');

describe('.env.example', () => {
  it('lists every environment variable the configuration reads, each under a comment', () => {
    for (const { name } of environmentVariables()) {
      const line = example.findIndex((text) => new RegExp(`^(# )?${name}=`).test(text));
      expect(line, name).toBeGreaterThan(0);
      let above = line - 1;
      while (above > 0 && /^[A-Z_]+=/.test(example[above]!)) above--;
      expect(example[above], name).toMatch(/^# /);
    }
  });
});
