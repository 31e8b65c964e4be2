/**
 * Extended thinking → the chat shape's `reasoning_effort`, for models that reason by effort level
 * rather than by a token budget.
 *
 * The table is the inverse of the budgets the gateway sends Claude for each effort (the Anthropic
 * provider's `thinkingBudgets`: low 2048, medium 8192, high 16384): a budget maps to the effort whose
 * budget it is closest to from above, so an effort sent through Claude and back keeps its level.
 *
 * | `budget_tokens` | `reasoning_effort` |
 * | --------------- | ------------------ |
 * | 1024 – 4095     | `low`              |
 * | 4096 – 16383    | `medium`           |
 * | 16384 and more  | `high`             |
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking
 * @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-reasoning_effort
 */

export type BudgetEffort = 'low' | 'medium' | 'high';

export const THINKING_BUDGET_TABLE: readonly { readonly from: number; readonly effort: BudgetEffort }[] = [
  { from: 16384, effort: 'high' },
  { from: 4096, effort: 'medium' },
  { from: 0, effort: 'low' },
];

export function mapThinkingBudget(budgetTokens: number): BudgetEffort {
  return THINKING_BUDGET_TABLE.find((row) => budgetTokens >= row.from)!.effort;
}
