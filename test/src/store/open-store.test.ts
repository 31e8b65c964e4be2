import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore } from '../../../src/store/open-store.js';
import {
  SHARED_POSTGRES_URL,
  dropPostgresSchema,
  uniquePostgresSchema,
} from '../../helpers/shared-postgres.js';

let folder = '';
const schema = uniquePostgresSchema('open');

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'llm-gateway-open-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await dropPostgresSchema(schema);
});

it('opens SQLite under the data folder without a database URL, PostgreSQL with one', async () => {
  const embedded = await openStore({ dataDir: folder });
  const shared = await openStore({ dataDir: folder, databaseUrl: SHARED_POSTGRES_URL, postgres: { schema } });
  try {
    expect([embedded.backend, shared.backend]).toEqual(['sqlite', 'postgres']);
  } finally {
    await embedded.close();
    await shared.close();
  }
});
