/**
 * The usage of a finished batch, read from its output file: one JSON line per request, each with
 * the answer's `body` (a chat completion, an embeddings list, a response) and its `usage`.
 * @see https://platform.openai.com/docs/guides/batch#5-retrieve-the-results
 */
import type { Usage } from '../../../src/provider.js';
import {
  usageFromChatCompletion,
  usageFromResponsesApi,
  type ChatUsageWire,
  type ResponsesUsageWire,
} from '../../../src/provider-toolkit.js';

interface BatchOutputLineWire {
  response?: {
    status_code?: unknown;
    body?: { model?: unknown; usage?: Record<string, unknown> | null } | null;
  } | null;
}

function add(total: Usage, usage: Usage): void {
  total.promptTokens += usage.promptTokens;
  total.completionTokens += usage.completionTokens;
  total.totalTokens += usage.totalTokens;
  total.reasoningTokens += usage.reasoningTokens;
  total.cachedTokens += usage.cachedTokens;
}

/** The usage of one answer, whichever endpoint it came from (the Responses API names it apart). */
function usageOfBody(usage: Record<string, unknown>): Usage | undefined {
  if ('input_tokens' in usage) return usageFromResponsesApi(usage as ResponsesUsageWire);
  return usageFromChatCompletion(usage as ChatUsageWire);
}

/**
 * Usage by the model each answer names, summed over the lines of an output file; lines that are
 * not JSON, failed requests and answers without usage are skipped.
 */
export function convertBatchOutputToUsage(lines: Iterable<string>): Map<string, Usage> {
  const byModel = new Map<string, Usage>();
  for (const line of lines) {
    if (!line.trim()) continue;
    let parsed: BatchOutputLineWire;
    try {
      parsed = JSON.parse(line) as BatchOutputLineWire;
    } catch {
      continue;
    }
    const body = parsed.response?.body;
    if (!body?.usage || typeof body.model !== 'string') continue;
    const usage = usageOfBody(body.usage);
    if (!usage) continue;
    let total = byModel.get(body.model);
    if (!total) {
      total = { promptTokens: 0, completionTokens: 0, totalTokens: 0, reasoningTokens: 0, cachedTokens: 0 };
      byModel.set(body.model, total);
    }
    add(total, usage);
  }
  return byModel;
}
