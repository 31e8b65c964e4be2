/**
 * Cache warming from a file (`npm run cache:warm -- FILE`): sends the chat requests of a JSONL file
 * to a running gateway's warming endpoint (POST /admin/cache/warm, plugins/api/cache-warm.ts),
 * which runs them through its cache path with bounded concurrency; shows a progress bar on
 * standard error as results come back and prints the report (stored, already cached, failed,
 * tokens and cost) on standard output.
 *
 *   GATEWAY_URL        the gateway (default http://127.0.0.1:8080)
 *   GATEWAY_ADMIN_KEY  an admin key (one of its GATEWAY_ADMIN_KEYS)
 *   GATEWAY_WARM_KEY   the key whose cache is warmed (entries are per key unless CACHE_SCOPE=global)
 *
 * Like src/server.ts, this is a shell and reads the environment itself.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { WarmResult, WarmSummary } from '../plugins/api/cache-warm.js';

export const USAGE = `Usage: npm run cache:warm -- FILE [--concurrency N] [--model MODEL] [--no-semantic] [--url URL]
  FILE           JSONL: one chat completion request per line, or {"model": "...", "request": {...}}
  --concurrency  requests at a time (1 to 32, default 4)
  --model        the model for lines that name none
  --no-semantic  store in the exact cache only
  --url          the gateway (default: GATEWAY_URL, else http://127.0.0.1:8080)
Environment: GATEWAY_ADMIN_KEY (an admin key), GATEWAY_WARM_KEY (the key whose cache is warmed)
`;

export interface WarmOptions {
  url: string;
  adminKey: string;
  warmKey?: string;
  concurrency?: number;
  model?: string;
  semantic?: boolean;
  /** Each request's result, as it completes. */
  onResult?: (result: WarmResult) => void;
}

class WarmError extends Error {}

/** Sends `lines` (a JSONL file's text) to the gateway's warming endpoint; resolves to its summary. */
export async function warmCache(lines: string, options: WarmOptions): Promise<WarmSummary> {
  const query = new URLSearchParams();
  if (options.concurrency !== undefined) query.set('concurrency', String(options.concurrency));
  if (options.model !== undefined) query.set('model', options.model);
  if (options.semantic === false) query.set('semantic', 'false');
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.adminKey}`,
    'content-type': 'application/x-ndjson',
  };
  if (options.warmKey) headers['x-gateway-warm-key'] = options.warmKey;
  const response = await fetch(`${options.url.replace(/\/$/, '')}/admin/cache/warm?${query}`, {
    method: 'POST',
    headers,
    body: lines,
  });
  if (!response.ok || !response.body) {
    const text = await response.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      // Not JSON: the text as it is.
    }
    throw new WarmError(`the gateway answered ${response.status}: ${message}`);
  }
  let summary: WarmSummary | undefined;
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    pending += decoder.decode(chunk as Uint8Array, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() === '') continue;
      const item = JSON.parse(line) as WarmResult | WarmSummary;
      if (item.type === 'summary') summary = item;
      else options.onResult?.(item);
    }
  }
  if (!summary) throw new WarmError('the gateway stopped before the end of the warming');
  return summary;
}

/** One line of progress: a bar, the counts so far. */
export function progressLine(
  done: number,
  total: number,
  counts: Record<WarmResult['outcome'], number>,
): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}` +
    `  stored ${counts.stored}  already cached ${counts.cached}  failed ${counts.failed}`
  );
}

export function describeSummary(summary: WarmSummary): string {
  return [
    `requests:        ${summary.requests}`,
    `stored:          ${summary.stored}`,
    `already cached:  ${summary.cached}`,
    `failed:          ${summary.failed}`,
    `tokens:          ${summary.prompt_tokens} prompt, ${summary.completion_tokens} completion`,
    `cost:            $${summary.cost_usd.toFixed(6)}`,
    '',
  ].join('\n');
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      concurrency: { type: 'string' },
      model: { type: 'string' },
      'no-semantic': { type: 'boolean' },
      url: { type: 'string' },
    },
  });
  const file = positionals[0];
  if (!file) throw new WarmError('no file given');
  const adminKey = env['GATEWAY_ADMIN_KEY'];
  if (!adminKey) throw new WarmError('GATEWAY_ADMIN_KEY is not set');
  const text = await readFile(file, 'utf8');
  const total = text.split('\n').filter((line) => line.trim() !== '').length;
  const counts = { stored: 0, cached: 0, failed: 0 };
  const failures: string[] = [];
  let done = 0;
  const summary = await warmCache(text, {
    url: values.url ?? env['GATEWAY_URL'] ?? 'http://127.0.0.1:8080',
    adminKey,
    warmKey: env['GATEWAY_WARM_KEY'],
    concurrency: values.concurrency === undefined ? undefined : Number(values.concurrency),
    model: values.model,
    semantic: values['no-semantic'] ? false : undefined,
    onResult(result) {
      done++;
      counts[result.outcome]++;
      if (result.outcome === 'failed')
        failures.push(`line ${result.line}: ${result.status} ${result.error ?? ''}`);
      process.stderr.write(`\r${progressLine(done, total, counts)}`);
    },
  });
  process.stderr.write('\n');
  for (const failure of failures.slice(0, 20)) process.stderr.write(`${failure}\n`);
  process.stdout.write(describeSummary(summary));
  if (summary.failed > 0) process.exitCode = 2;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main(process.argv.slice(2), process.env).catch((error: unknown) => {
    process.stderr.write(
      `cache:warm: ${(error as Error).message}\n${error instanceof WarmError ? USAGE : ''}`,
    );
    process.exitCode = 1;
  });
}
