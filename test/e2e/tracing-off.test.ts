/**
 * Tracing off costs nothing: with no OTLP endpoint set, a gateway that serves requests has not
 * loaded the OpenTelemetry SDK or its exporter at all (checked in a process of its own, whose
 * module cache nothing else has touched).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';

const TSX = join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsx');

describe('tracing off', () => {
  it('loads no module of the SDK or the exporter; an endpoint loads them', async () => {
    const { stdout } = await promisify(execFile)(TSX, [join(PACKAGE_ROOT, 'test/e2e/tracing-modules.ts')], {
      cwd: PACKAGE_ROOT,
      timeout: 60_000,
    });
    const loaded = JSON.parse(stdout.trim().split('\n').at(-1)!) as { off: number; on: number };
    expect(loaded.off).toBe(0);
    expect(loaded.on).toBeGreaterThan(0);
  }, 90_000);
});
