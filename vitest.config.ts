import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    // Most integration tests wait on sockets more than they compute: one worker more than the two
    // cores of the machines this runs on keeps both busy (223 s for the suite against 290 s with the
    // default of one worker per core but one).
    maxWorkers: 3,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['src/**', 'plugins/**', 'schemas/**'],
      reporter: ['text-summary', 'html'],
    },
    projects: [
      {
        extends: true,
        // Pure code: converters, parsers, routing decisions, config. No sockets.
        test: {
          name: 'unit',
          include: [
            'test/src/**/*.test.ts',
            'test/schemas/**/*.test.ts',
            'test/docs/**/*.test.ts',
            'test/deploy/**/*.test.ts',
            'test/bench/**/*.test.ts',
            'test/ui/**/*.test.ts',
          ],
          exclude: [...configDefaults.exclude, 'test/src/store/**'],
        },
      },
      {
        extends: true,
        // The gateway over HTTP against loopback fake providers (and the real Redis where needed), and
        // the store against real databases (a SQLite file, PostgreSQL).
        test: {
          name: 'integration',
          include: ['test/plugins/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/src/store/**/*.test.ts'],
        },
      },
      {
        extends: true,
        // The dashboard in Debian's Chromium against a gateway process (test/helpers/browser.ts).
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 60_000 },
      },
    ],
  },
});
