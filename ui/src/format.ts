/**
 * Numbers, money, durations and times as the reader's locale writes them (Intl), one place for
 * every page. Pure functions of a value and a locale, so they are tested without a browser.
 */

const EMPTY = '—';

function isNumber(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A count: 1,234,567 in en-US, 1.234.567 in de-DE. */
export function formatCount(value: number | null | undefined, locale: string): string {
  if (!isNumber(value)) return EMPTY;
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}

/** A large count shortened for a figure's headline: 1.2M, 12K. */
export function formatCompactCount(value: number | null | undefined, locale: string): string {
  if (!isNumber(value)) return EMPTY;
  return new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

/**
 * US dollars, the currency every price and budget of the gateway is in. Small amounts keep the
 * digits that matter (a single call costs fractions of a cent).
 */
export function formatUsd(value: number | null | undefined, locale: string): string {
  if (!isNumber(value)) return EMPTY;
  const magnitude = Math.abs(value);
  const digits = magnitude === 0 || magnitude >= 1 ? 2 : magnitude >= 0.01 ? 4 : 6;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: digits,
  }).format(value);
}

/** A ratio between 0 and 1 as a percentage: 0.0123 → 1.2 %. */
export function formatRatio(value: number | null | undefined, locale: string): string {
  if (!isNumber(value)) return EMPTY;
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(value);
}

/** Milliseconds, in seconds once they pass one. */
export function formatDuration(milliseconds: number | null | undefined, locale: string): string {
  if (!isNumber(milliseconds)) return EMPTY;
  if (Math.abs(milliseconds) >= 1000) {
    return new Intl.NumberFormat(locale, {
      style: 'unit',
      unit: 'second',
      unitDisplay: 'short',
      maximumFractionDigits: 2,
    }).format(milliseconds / 1000);
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: 'millisecond',
    unitDisplay: 'short',
    maximumFractionDigits: milliseconds < 10 ? 2 : 0,
  }).format(milliseconds);
}

/** A median and a 95th percentile side by side: 120 ms / 1.2 sec; a dash for either not there. */
export function formatPercentiles(
  p50: number | null | undefined,
  p95: number | null | undefined,
  locale: string,
): string {
  if (!isNumber(p50) && !isNumber(p95)) return EMPTY;
  return `${formatDuration(p50, locale)} / ${formatDuration(p95, locale)}`;
}

/** A moment as a date and time, in the reader's time zone unless one is named. */
export function formatDateTime(
  value: string | number | Date | null | undefined,
  locale: string,
  timeZone?: string,
): string {
  if (value === null || value === undefined || value === '') return EMPTY;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return EMPTY;
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'medium',
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

/** Spend against a budget as a fraction (null without a budget), capped for a progress bar. */
export function budgetUsed(
  spent: number | null | undefined,
  limit: number | null | undefined,
): number | null {
  if (!isNumber(limit) || limit <= 0) return null;
  return Math.min(1, Math.max(0, (isNumber(spent) ? spent : 0) / limit));
}

/** A price per million tokens: $2.50 / 1M. */
export function formatPricePerMillion(value: number | null | undefined, locale: string): string {
  if (!isNumber(value)) return EMPTY;
  return `${formatUsd(value, locale)} / 1M`;
}
