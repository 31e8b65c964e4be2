/**
 * POST /admin/cache/warm (admin key, GATEWAY_ADMIN_KEYS): fills the cache ahead of traffic. The body
 * is a JSONL file's lines (`application/x-ndjson`), each an OpenAI chat request, or
 * `{"model": "...", "request": {...}}` to name the model to warm for. Each request goes through the
 * gateway's own chat route, so through its cache path: what is already cached is answered from the
 * cache (and counted as skipped), the rest is asked of the provider and stored, in the exact cache
 * and, unless `semantic=false`, in the semantic cache. Requests are sent `concurrency` at a time,
 * as the key named by `x-gateway-warm-key` (entries are scoped per key, as that key's own requests
 * would be; its rate limits and budget apply).
 *
 * The answer is JSONL too, written as requests complete (the progress of `npm run cache:warm`):
 * one `result` line per request, then a `summary` line with what was stored and what it cost.
 */
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { commonErrorResponses } from '../../schemas/common.js';
import { costOf, pricingOf } from '../../src/catalog.js';
import { GatewayError } from '../../src/errors.js';
import { KeyRing, presentedKey } from '../../src/identity.js';
import { usageFromChatCompletion, type ChatUsageWire } from '../../src/provider-toolkit.js';

export interface CacheWarmRouteOptions {
  adminKeys: readonly string[];
  /** Lines one call may carry. */
  maxLines?: number;
}

export const WARM_KEY_HEADER = 'x-gateway-warm-key';
const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl'];

const WarmQuery = Type.Object(
  {
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, default: 4 })),
    model: Type.Optional(Type.String({ minLength: 1 })),
    semantic: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  },
  { additionalProperties: false },
);

export interface WarmResult {
  type: 'result';
  /** The line's number in the file, from 1. */
  line: number;
  status: number;
  /** `stored`: asked of the provider and kept; `cached`: already in the cache; `failed`. */
  outcome: 'stored' | 'cached' | 'failed';
  model: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  error?: string;
}

export interface WarmSummary {
  type: 'summary';
  requests: number;
  stored: number;
  cached: number;
  failed: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

interface WarmLine {
  line: number;
  body?: Record<string, unknown>;
  error?: string;
}

/** The requests of a JSONL text; a line that is not one is kept as an error of its own. */
export function readWarmLines(text: string, defaultModel: string | undefined): WarmLine[] {
  const lines: WarmLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '') return;
    const line = index + 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      lines.push({ line, error: 'not JSON' });
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      lines.push({ line, error: 'not a JSON object' });
      return;
    }
    const record = parsed as Record<string, unknown>;
    const wrapped = typeof record['request'] === 'object' && record['request'] !== null;
    const body = { ...((wrapped ? record['request'] : record) as Record<string, unknown>) };
    const model = (wrapped ? record['model'] : undefined) ?? body['model'] ?? defaultModel;
    if (typeof model !== 'string' || model === '') {
      lines.push({ line, error: "no model: give one in the line or as the 'model' parameter" });
      return;
    }
    // Stored as a unary answer, which answers stream requests too (docs/caching.md, "Streams").
    delete body['stream'];
    delete body['stream_options'];
    lines.push({ line, body: { ...body, model } });
  });
  return lines;
}

export const cacheWarmRoutes: FastifyPluginAsync<CacheWarmRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();
  const admins = new KeyRing(options.adminKeys);
  const maxLines = options.maxLines ?? 10_000;

  fastify.addContentTypeParser(NDJSON_TYPES, { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  function requireAdmin(request: FastifyRequest): void {
    const key = presentedKey(request.headers);
    if (admins.size === 0) {
      throw new GatewayError('GW_ERR_AUTH_ADMIN_REQUIRED', {
        message: 'No admin key is configured: set GATEWAY_ADMIN_KEYS to warm the cache.',
      });
    }
    if (key === undefined || !admins.identify(key)) {
      request.log.warn({ event: 'auth_failure', reason: 'not_admin' }, 'security event');
      throw new GatewayError('GW_ERR_AUTH_ADMIN_REQUIRED');
    }
  }

  fastify.post(
    '/admin/cache/warm',
    {
      config: { auth: false },
      schema: {
        tags: ['cache'],
        summary: 'Warm the cache with the chat requests of a JSONL file (admin key)',
        description:
          'Body: JSONL (`application/x-ndjson`), one OpenAI chat request per line, or ' +
          '`{"model", "request"}`. Sent as the key in `x-gateway-warm-key`. Answers JSONL: one ' +
          '`result` line per request as it completes, then a `summary` line.',
        querystring: WarmQuery,
        response: { ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const query = request.query as Static<typeof WarmQuery>;
      if (typeof request.body !== 'string') {
        throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
          message: `Send the JSONL file's lines with Content-Type: ${NDJSON_TYPES[0]}.`,
        });
      }
      const lines = readWarmLines(request.body, query.model);
      if (lines.length === 0 || lines.length > maxLines) {
        throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
          message: `The body must hold from 1 to ${maxLines} requests, one per line; it holds ${lines.length}.`,
        });
      }
      const warmKey = request.headers[WARM_KEY_HEADER];
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (typeof warmKey === 'string' && warmKey !== '') headers['authorization'] = `Bearer ${warmKey}`;
      if (query.semantic !== 'false' && fastify.gatewaySemanticCache) headers['x-gateway-cache'] = 'semantic';
      const url = `${fastify.prefix}/v1/chat/completions`;

      const summary: WarmSummary = {
        type: 'summary',
        requests: lines.length,
        stored: 0,
        cached: 0,
        failed: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        cost_usd: 0,
      };
      const output = new PassThrough();
      let next = 0;
      const warmOne = async (item: WarmLine): Promise<WarmResult> => {
        const result: WarmResult = {
          type: 'result',
          line: item.line,
          status: 0,
          outcome: 'failed',
          model: typeof item.body?.['model'] === 'string' ? item.body['model'] : null,
          prompt_tokens: 0,
          completion_tokens: 0,
          cost_usd: 0,
        };
        if (!item.body) return { ...result, error: item.error };
        const response = await fastify.inject({
          method: 'POST',
          url,
          headers,
          payload: JSON.stringify(item.body),
        });
        result.status = response.statusCode;
        if (response.statusCode !== 200) {
          let message = response.body.slice(0, 500);
          try {
            message = (response.json() as { error?: { message?: string } }).error?.message ?? message;
          } catch {
            // Not JSON: the text as it is.
          }
          return { ...result, error: message };
        }
        if (response.headers['x-cache'] === 'HIT') return { ...result, outcome: 'cached' };
        result.outcome = response.headers['x-cache'] === 'MISS' ? 'stored' : 'failed';
        if (result.outcome === 'failed') result.error = 'the cache was not used (X-Cache: BYPASS)';
        const usage = usageFromChatCompletion(
          (response.json() as { usage?: ChatUsageWire }).usage ?? undefined,
        );
        if (usage) {
          result.prompt_tokens = usage.promptTokens;
          result.completion_tokens = usage.completionTokens;
          result.cost_usd = costOf(
            pricingOf(answeringDeployment(String(result.model), response.headers)),
            usage,
          );
        }
        return result;
      };
      const answeringDeployment = (model: string, answered: Record<string, unknown>) => {
        try {
          const deployments = fastify.gatewayRouter.plan(model, 'chat').deployments;
          return (
            deployments.find(
              (deployment) =>
                deployment.instance.id === answered['x-gateway-provider'] &&
                deployment.upstreamModel === answered['x-gateway-model'],
            ) ?? deployments[0]
          );
        } catch {
          return undefined;
        }
      };
      const worker = async () => {
        while (next < lines.length && !output.destroyed) {
          const item = lines[next++]!;
          let result: WarmResult;
          try {
            result = await warmOne(item);
          } catch (error) {
            result = {
              type: 'result',
              line: item.line,
              status: 0,
              outcome: 'failed',
              model: null,
              prompt_tokens: 0,
              completion_tokens: 0,
              cost_usd: 0,
              error: (error as Error).message,
            };
          }
          summary[
            result.outcome === 'stored' ? 'stored' : result.outcome === 'cached' ? 'cached' : 'failed'
          ]++;
          summary.prompt_tokens += result.prompt_tokens;
          summary.completion_tokens += result.completion_tokens;
          summary.cost_usd += result.cost_usd;
          if (!output.destroyed) output.write(`${JSON.stringify(result)}\n`);
        }
      };
      const workers = Array.from({ length: Math.min(query.concurrency ?? 4, lines.length) }, worker);
      void Promise.all(workers).then(() => output.end(`${JSON.stringify(summary)}\n`));
      request.log.info({ lines: lines.length, concurrency: workers.length }, 'cache warming started');
      return reply.type('application/x-ndjson').send(output);
    },
  );
};
