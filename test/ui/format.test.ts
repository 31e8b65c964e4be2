/** The dashboard's number and date formats, in two locales. */
import { describe, expect, it } from 'vitest';
import {
  budgetUsed,
  formatCompactCount,
  formatCount,
  formatDateTime,
  formatDuration,
  formatPercentiles,
  formatPricePerMillion,
  formatRatio,
  formatUsd,
} from '../../ui/src/format.js';

describe('formats for the reader’s locale', () => {
  it('groups digits as the locale does', () => {
    expect(formatCount(1234567, 'en-US')).toBe('1,234,567');
    expect(formatCount(1234567, 'de-DE')).toBe('1.234.567');
    expect(formatCompactCount(1234567, 'en-US')).toBe('1.2M');
  });

  it('shows money in dollars, with the digits a single call needs', () => {
    expect(formatUsd(1234.5, 'en-US')).toBe('$1,234.50');
    expect(formatUsd(0, 'en-US')).toBe('$0.00');
    expect(formatUsd(0.0123, 'en-US')).toBe('$0.0123');
    expect(formatUsd(0.000045, 'en-US')).toBe('$0.000045');
    expect(formatUsd(2.5, 'de-DE')).toBe('2,50\u00a0$');
    expect(formatPricePerMillion(2.5, 'en-US')).toBe('$2.50 / 1M');
  });

  it('shows ratios as percentages and durations in their unit', () => {
    expect(formatRatio(0.0123, 'en-US')).toBe('1.2%');
    expect(formatRatio(0.5, 'fr-FR')).toBe('50\u00a0%');
    expect(formatDuration(3.456, 'en-US')).toBe('3.46 ms');
    expect(formatDuration(250, 'en-US')).toBe('250 ms');
    expect(formatDuration(1500, 'en-US')).toBe('1.5 sec');
  });

  it('shows a median and a 95th percentile together, a dash for one that is missing', () => {
    expect(formatPercentiles(86.11, 1377.79, 'en-US')).toBe('86 ms / 1.38 sec');
    expect(formatPercentiles(0.96, 1.35, 'de-DE')).toBe('0,96 ms / 1,35 ms');
    expect(formatPercentiles(null, 12, 'en-US')).toBe('— / 12 ms');
    expect(formatPercentiles(null, null, 'en-US')).toBe('—');
  });

  it('writes a dash for a figure that is not there', () => {
    for (const format of [formatCount, formatUsd, formatRatio, formatDuration]) {
      expect(format(null, 'en-US')).toBe('—');
      expect(format(Number.NaN, 'en-US')).toBe('—');
    }
    expect(formatDateTime(null, 'en-US')).toBe('—');
    expect(formatDateTime('not a date', 'en-US')).toBe('—');
  });

  it('writes dates in the locale and the time zone asked for', () => {
    expect(formatDateTime('2026-03-04T05:06:07Z', 'en-US', 'UTC')).toBe('Mar 4, 2026, 5:06:07 AM');
    expect(formatDateTime('2026-03-04T05:06:07Z', 'de-DE', 'UTC')).toBe('04.03.2026, 05:06:07');
  });

  it('measures a budget’s use as a capped fraction, none without a budget', () => {
    expect(budgetUsed(2.5, 10)).toBe(0.25);
    expect(budgetUsed(25, 10)).toBe(1);
    expect(budgetUsed(null, 10)).toBe(0);
    expect(budgetUsed(3, null)).toBeNull();
    expect(budgetUsed(3, 0)).toBeNull();
  });
});
