/**
 * Usage figures as the usage endpoints answer them: totals, by model and by day, over a range of UTC
 * days, and the range a query asks for (30 days by default, at most 366).
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../errors.js';
import { addFigures, dayOf, emptyFigures, type UsageDay, type UsageFigures } from './usage-store.js';

export const DAY = /^\d{4}-\d{2}-\d{2}$/;
export const RangeQuery = Type.Object({
  from: Type.Optional(
    Type.String({ pattern: DAY.source, description: 'First day, YYYY-MM-DD (UTC); default 30 days ago' }),
  ),
  to: Type.Optional(
    Type.String({ pattern: DAY.source, description: 'Last day, YYYY-MM-DD (UTC); default today' }),
  ),
});

function toWire(figures: UsageFigures) {
  return {
    requests: figures.requests,
    prompt_tokens: figures.promptTokens,
    completion_tokens: figures.completionTokens,
    reasoning_tokens: figures.reasoningTokens,
    cached_tokens: figures.cachedTokens,
    cost_usd: Math.round(figures.costUsd * 1e9) / 1e9,
  };
}

export function summarize(days: UsageDay[]) {
  const byModel: Record<string, UsageFigures> = {};
  const total = emptyFigures();
  for (const day of days) {
    for (const [model, figures] of Object.entries(day.models)) {
      addFigures((byModel[model] ??= emptyFigures()), figures);
      addFigures(total, figures);
    }
  }
  return {
    total: toWire(total),
    by_model: Object.fromEntries(Object.entries(byModel).map(([model, figures]) => [model, toWire(figures)])),
    days: days.map((day) => ({
      day: day.day,
      models: Object.fromEntries(
        Object.entries(day.models).map(([model, figures]) => [model, toWire(figures)]),
      ),
    })),
  };
}

export function rangeOf(query: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  const to = query.to ?? dayOf(now);
  const from = query.from ?? dayOf(new Date(now.getTime() - 29 * 86_400_000));
  if (from > to) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', { message: "'from' is after 'to'.", param: 'from' });
  }
  if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: 'The range is longer than 366 days.',
      param: 'from',
    });
  }
  return { from, to };
}
