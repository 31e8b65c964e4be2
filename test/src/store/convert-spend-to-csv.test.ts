import { describe, expect, it } from 'vitest';
import {
  SPEND_CSV_COLUMNS,
  convertSpendRowsToCsv,
  convertSpendSummaryToCsv,
  formatCsvField,
} from '../../../src/store/convert-spend-to-csv.js';
import { emptyHistogram } from '../../../src/store/duration-histogram.js';
import { spendEntry } from './spend-samples.js';

async function collect(lines: AsyncIterable<string> | Iterable<string>): Promise<string> {
  let text = '';
  for await (const line of lines) text += line;
  return text;
}

describe('spend as CSV', () => {
  it('quotes what needs quotes and defuses what a spreadsheet would run as a formula', () => {
    expect(formatCsvField('gpt-4o')).toBe('gpt-4o');
    expect(formatCsvField('a,b')).toBe('"a,b"');
    expect(formatCsvField('say "hi"')).toBe('"say ""hi"""');
    expect(formatCsvField('two\nlines')).toBe('"two\nlines"');
    expect(formatCsvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(formatCsvField('+1')).toBe("'+1");
    expect(formatCsvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(formatCsvField(-1.5)).toBe('-1.5');
    expect(formatCsvField(null)).toBe('');
    expect(formatCsvField(false)).toBe('false');
    expect(formatCsvField(new Date('2026-03-01T10:00:00.000Z'))).toBe('2026-03-01T10:00:00.000Z');
  });

  it('writes the request log: a header, then one CRLF line per row', async () => {
    const row = spendEntry({
      id: 'row-1',
      requestId: 'req-1',
      keyId: 'key-a',
      requestedModel: '=cmd',
      latencyMs: null,
    });
    const csv = await collect(convertSpendRowsToCsv([row]));
    const lines = csv.split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toBe(SPEND_CSV_COLUMNS.map((column) => column.header).join(','));
    expect(lines[1]).toBe(
      "2026-03-01T10:00:00.000Z,req-1,key-a,,/v1/chat/completions,'=cmd,gpt-4o-2024-08-06,openai," +
        'openai/gpt-4o-2024-08-06,100,20,0,10,0,0.5,,1.25,200,miss,completed,false,row-1',
    );
  });

  it('writes a summary with the columns it was grouped by', async () => {
    const figures = {
      requests: 2,
      promptTokens: 10,
      completionTokens: 5,
      reasoningTokens: 0,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.25,
      errors: 1,
      cacheHits: 0,
      // One call in bucket 20 (72.4 to 102.4 ms), one in bucket 21; no overhead measured.
      latency: emptyHistogram().map((_, bucket) => (bucket === 20 || bucket === 21 ? 1 : 0)),
      overhead: emptyHistogram(),
    };
    const csv = await collect(
      convertSpendSummaryToCsv(
        [
          { day: '2026-03-01', model: 'gpt-4o', ...figures },
          { day: '2026-03-02', model: null, ...figures },
        ],
        ['day', 'model'],
      ),
    );
    expect(csv).toBe(
      'day,model,requests,prompt_tokens,completion_tokens,reasoning_tokens,cached_tokens,cache_write_tokens,cost_usd,' +
        'errors,cache_hits,latency_p50_ms,latency_p95_ms,overhead_p50_ms,overhead_p95_ms\r\n' +
        '2026-03-01,gpt-4o,2,10,5,0,0,0,0.25,1,0,86.11,121.77,,\r\n' +
        '2026-03-02,,2,10,5,0,0,0,0.25,1,0,86.11,121.77,,\r\n',
    );
  });
});
