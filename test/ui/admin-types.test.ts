/**
 * The dashboard's view of the admin API's answers (ui/src/admin-types.ts) against the API's own
 * schemas (schemas/admin.ts): a field renamed or retyped there fails the typecheck here.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  AdminKey,
  AdminKeyWithSecret,
  AdminSpendRow,
  AdminSpendSummary,
  AdminTeam,
} from '../../schemas/admin.js';
import { SPEND_DIMENSIONS } from '../../schemas/admin.js';
import type * as Ui from '../../ui/src/admin-types.js';

describe('the dashboard’s admin API types', () => {
  it('are what the admin API answers', () => {
    expectTypeOf<AdminKey>().toExtend<Ui.AdminKey>();
    expectTypeOf<AdminKeyWithSecret>().toExtend<Ui.AdminKeyWithSecret>();
    expectTypeOf<AdminTeam>().toExtend<Ui.AdminTeam>();
    expectTypeOf<AdminSpendSummary>().toExtend<Ui.SpendSummary>();
    expectTypeOf<AdminSpendRow>().toExtend<Ui.SpendRow>();
  });

  it('group the summary by the dimensions the overview asks for', () => {
    expect(SPEND_DIMENSIONS).toEqual(expect.arrayContaining(['day', 'key', 'team', 'model', 'provider']));
  });
});
