/**
 * Files and batches: /v1/files (upload, list, retrieve, content, delete) and /v1/batches (create,
 * retrieve, list, cancel), passed through to the provider instance that keeps them (the configured
 * instance whose adapter serves `storedObjects`, the one named after its type first).
 * @see https://platform.openai.com/docs/api-reference/files
 * @see https://platform.openai.com/docs/api-reference/batch
 *
 * Every object is recorded against the key that created it (owned-object-store.ts): another key
 * gets a 404 for it everywhere, and a list holds only the calling key's objects. A batch's output
 * and error files belong to the batch's key once the gateway has seen the batch finished.
 *
 * A batch's usage is accounted when the gateway reads the batch finished (`GET /v1/batches/{id}`
 * answering `completed`, the way clients learn that it is): once per batch, the gateway reads the
 * output file from the provider, after the answer, and accounts each model's usage to the batch's
 * key at the batch price (catalog `batch_input` / `batch_output`, else half the usual price).
 */
import { createInterface } from 'node:readline';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commonErrorResponses } from '../../../schemas/common.js';
import { batchPricingOf, costOf, pricingOf, type Pricing } from '../../../src/catalog.js';
import { GatewayError } from '../../../src/errors.js';
import { startCall } from '../../../src/http/call-context.js';
import { sendModelResult } from '../../../src/http/send-model-result.js';
import { setGatewayHeaders } from '../../../src/http/gateway-headers.js';
import {
  isByteStreamResult,
  type ProviderInstance,
  type StoredObjectRequest,
  type UnaryResult,
} from '../../../src/provider.js';
import { convertBatchOutputToUsage } from './convert-batch-output.js';
import {
  MemoryOwnedObjectStore,
  RedisOwnedObjectStore,
  type OwnedObject,
  type OwnedObjectStore,
} from './owned-object-store.js';

export interface FilesRouteOptions {
  requestTimeout: number;
}

/**
 * The largest file OpenAI takes, and so the most a single upload may send.
 * @see https://platform.openai.com/docs/api-reference/files/create
 */
export const MAX_FILE_UPLOAD_BYTES = 512 * 1024 * 1024;

/** How long the gateway remembers who made an object: a year (files last until deleted). */
const RETENTION_SECONDS = 365 * 86_400;
/** Pages of another key's objects a list reads through before it answers what it found. */
const MAX_LIST_PAGES = 10;

const ObjectIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_-]+$' }),
});
const ListQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ maxLength: 256 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  },
  { additionalProperties: true },
);
const BatchRequestSchema = Type.Object(
  {
    input_file_id: Type.String({ minLength: 1, maxLength: 256 }),
    endpoint: Type.String({ minLength: 1 }),
    completion_window: Type.String({ minLength: 1 }),
    metadata: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
  },
  {
    additionalProperties: true,
    $id: 'CreateBatchRequest',
    description: 'OpenAI batch request; the input file must be one this key uploaded.',
  },
);
const OpenObject = Type.Object({ id: Type.String() }, { additionalProperties: true });

/** Counts an upload's bytes as they pass and fails it past the limit (the upstream call is aborted). */
class UploadLimit extends Transform {
  #bytes = 0;
  constructor(readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.limit) callback(fileTooLarge(this.#bytes));
    else callback(null, chunk);
  }
}

function fileTooLarge(bytes: number): GatewayError {
  return new GatewayError('GW_ERR_FILE_TOO_LARGE', {
    message: `The upload holds ${bytes} bytes or more; a file may have at most ${MAX_FILE_UPLOAD_BYTES} bytes (512 MB).`,
    param: 'file',
  });
}

function parseObject(body: Buffer | string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(body.toString()) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const filesRoutes: FastifyPluginAsync<FilesRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();
  // An upload is relayed unread: its multipart body goes on to the provider as it arrives.
  fastify.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
  // Absent when the routes are registered without the gateway's infrastructure (tests of the routes).
  const redis = (fastify as { gatewayRedis?: typeof fastify.gatewayRedis }).gatewayRedis ?? null;
  const store: OwnedObjectStore = redis
    ? new RedisOwnedObjectStore(redis)
    : new MemoryOwnedObjectStore({ maxEntries: 100_000 });

  const ownerOf = (request: FastifyRequest): string => request.gateway.identity?.scope ?? 'anonymous';
  const config = { rateLimitClass: 'files', cacheable: false, concurrencyLimited: true } as const;

  async function read<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new GatewayError('GW_ERR_FILE_STORE_UNAVAILABLE', {
        message: `The record of files and batches is unreachable (${(error as Error).message}); retry shortly.`,
        headers: { 'retry-after': '1' },
        cause: error,
      });
    }
  }

  /** The instance that keeps files and batches. */
  function keeper(): ProviderInstance {
    const serving = fastify.gatewayProviders
      .configured()
      .filter((candidate) => candidate.adapter.storedObjects !== undefined);
    const found = serving.find((candidate) => candidate.id === candidate.type) ?? serving[0];
    if (!found) {
      throw new GatewayError('GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED', {
        message:
          'No configured provider keeps files and batches: configure an instance of a provider that does ' +
          '(docs/openai-endpoints.md, "Files and batches").',
      });
    }
    return found;
  }

  /** The record of an object the calling key owns, or the 404 OpenAI would give. */
  async function owned(
    request: FastifyRequest,
    id: string,
    kind: OwnedObject['kind'],
  ): Promise<ProviderInstance> {
    const record = await read(() => store.get(ownerOf(request), id));
    const holder = record?.kind === kind ? fastify.gatewayProviders.get(record.instance) : undefined;
    if (!record || record.kind !== kind) {
      throw new GatewayError(kind === 'file' ? 'GW_ERR_FILE_NOT_FOUND' : 'GW_ERR_BATCH_NOT_FOUND', {
        message: `No such ${kind === 'file' ? 'File' : 'Batch'} object: ${id}`,
        param: 'id',
      });
    }
    if (!holder?.configured || !holder.adapter.storedObjects) {
      throw new GatewayError('GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED', {
        message: `The provider instance '${record.instance}' that keeps ${id} is not configured.`,
      });
    }
    return holder;
  }

  /** One call at the keeper; the answer and the call's handle (dispose once sent). */
  async function call(
    request: FastifyRequest,
    reply: FastifyReply,
    holder: ProviderInstance,
    objectRequest: StoredObjectRequest,
  ) {
    const state = request.gateway;
    const handle = startCall(request, reply, options.requestTimeout, state.warnings);
    const started = performance.now();
    try {
      const result = await holder.adapter.storedObjects!(objectRequest, handle.context);
      state.provider = holder.id;
      return { result, handle };
    } catch (error) {
      handle.dispose();
      throw error;
    } finally {
      state.attempts = 1;
      state.upstreamMs += performance.now() - started;
      setGatewayHeaders(reply, state);
    }
  }

  /** A JSON answer's object, or the provider's 502 when it is none. */
  function objectOf(result: Awaited<ReturnType<typeof call>>['result'], holder: ProviderInstance) {
    const parsed = isByteStreamResult(result) ? undefined : parseObject(result.body);
    if (!parsed) {
      throw new GatewayError('GW_ERR_UPSTREAM_BAD_RESPONSE', {
        message: `${holder.id} answered with something other than a JSON object.`,
      });
    }
    return parsed;
  }

  function queryOf(request: FastifyRequest): string {
    const index = request.url.indexOf('?');
    return index === -1 ? '' : request.url.slice(index);
  }

  /**
   * A list holding the calling key's objects only: the provider's pages are read in turn (at most
   * MAX_LIST_PAGES) until `limit` of them are found, and the page is rebuilt around them.
   */
  async function listOwned(
    request: FastifyRequest,
    reply: FastifyReply,
    collection: 'files' | 'batches',
    kind: OwnedObject['kind'],
  ) {
    const holder = keeper();
    const owner = ownerOf(request);
    const search = new URLSearchParams(queryOf(request).slice(1));
    const limit = Math.min(Math.max(Number(search.get('limit') ?? 20) || 20, 1), 10_000);
    const data: Record<string, unknown>[] = [];
    let hasMore = false;
    let page: Record<string, unknown> = {};
    for (let pages = 0; pages < MAX_LIST_PAGES && data.length < limit; pages++) {
      const query = search.size > 0 ? `?${search.toString()}` : '';
      const { result, handle } = await call(request, reply, holder, {
        method: 'GET',
        collection,
        subpath: '',
        query,
      });
      handle.dispose();
      page = objectOf(result, holder);
      const items = Array.isArray(page['data']) ? (page['data'] as Record<string, unknown>[]) : [];
      let lastSeen: string | undefined;
      for (const item of items) {
        const id = typeof item['id'] === 'string' ? item['id'] : undefined;
        if (id === undefined) continue;
        lastSeen = id;
        if (data.length >= limit) {
          hasMore = true;
          break;
        }
        const record = await read(() => store.get(owner, id));
        if (record?.kind === kind) data.push(item);
      }
      if (hasMore) break;
      hasMore = page['has_more'] === true;
      // Files are listed by `after` cursors; a provider that pages otherwise gives one page.
      if (!hasMore || lastSeen === undefined) break;
      search.set('after', lastSeen);
    }
    return reply.type('application/json').send(
      JSON.stringify({
        ...page,
        object: 'list',
        data,
        first_id: (data[0]?.['id'] as string | undefined) ?? null,
        last_id: (data.at(-1)?.['id'] as string | undefined) ?? null,
        has_more: hasMore,
      }),
    );
  }

  /** Remembers a new object for the calling key; a failure loses the record, so the client hears of it. */
  async function remember(request: FastifyRequest, id: string, record: OwnedObject): Promise<void> {
    await read(() => store.put(ownerOf(request), id, record, RETENTION_SECONDS));
  }

  // ---- files -----------------------------------------------------------------------------------------

  fastify.post(
    '/v1/files',
    {
      config,
      bodyLimit: MAX_FILE_UPLOAD_BYTES,
      // The form is relayed unread; the body schema documents it for OpenAPI.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['files'],
        summary: 'Upload a file (streamed to the provider)',
        consumes: ['multipart/form-data'],
        body: Type.Object(
          {
            file: Type.String({ format: 'binary' }),
            purpose: Type.String({ description: 'batch, fine-tune, assistants, vision, user_data, evals' }),
          },
          { additionalProperties: true },
        ),
        response: { 200: OpenObject, 413: Type.Ref('ErrorResponse'), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const contentType = request.headers['content-type'] ?? '';
      if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
        throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE', {
          message:
            "Upload a file as 'Content-Type: multipart/form-data' with the fields 'file' and 'purpose'.",
        });
      }
      const declared = Number(request.headers['content-length']);
      if (declared > MAX_FILE_UPLOAD_BYTES) throw fileTooLarge(declared);
      const holder = keeper();
      const limit = new UploadLimit(MAX_FILE_UPLOAD_BYTES);
      let uploadFailure: unknown;
      limit.once('error', (error) => (uploadFailure = error));
      const body = request.raw.pipe(limit);
      request.raw.once('error', (error) => limit.destroy(error));
      let answer;
      try {
        answer = await call(request, reply, holder, {
          method: 'POST',
          collection: 'files',
          subpath: '',
          query: '',
          body: {
            stream: body,
            contentType,
            length: Number.isInteger(declared) && declared >= 0 ? declared : undefined,
          },
        });
      } catch (error) {
        throw uploadFailure ?? error;
      }
      const file = objectOf(answer.result, holder);
      if (typeof file['id'] === 'string')
        await remember(request, file['id'], { kind: 'file', instance: holder.id });
      return sendModelResult(request, reply, answer.result, answer.handle);
    },
  );

  fastify.get(
    '/v1/files',
    {
      config,
      schema: {
        tags: ['files'],
        summary: "List this key's files",
        querystring: ListQuery,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...commonErrorResponses },
      },
    },
    (request, reply) => listOwned(request, reply, 'files', 'file'),
  );

  for (const [method, suffix, summary] of [
    ['GET', '', 'Retrieve a file'],
    ['GET', '/content', "Retrieve a file's content"],
    ['DELETE', '', 'Delete a file'],
  ] as const) {
    fastify.route({
      method,
      url: `/v1/files/:id${suffix}`,
      config,
      schema: {
        tags: ['files'],
        summary,
        description: 'Only the key that uploaded a file (or whose batch made it) finds it.',
        params: ObjectIdParams,
        response: {
          200:
            suffix === '/content'
              ? {
                  description: "The file's bytes",
                  content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } },
                }
              : OpenObject,
          ...commonErrorResponses,
        },
      },
      handler: async (request, reply) => {
        const id = request.params.id;
        const holder = await owned(request, id, 'file');
        const answer = await call(request, reply, holder, {
          method,
          collection: 'files',
          subpath: `/${encodeURIComponent(id)}${suffix}`,
          query: '',
        });
        if (method === 'DELETE') {
          await store
            .delete(ownerOf(request), id)
            .catch((error: unknown) =>
              request.log.warn({ err: error, fileId: id }, 'deleted file not forgotten'),
            );
        }
        return sendModelResult(request, reply, answer.result, answer.handle);
      },
    });
  }

  // ---- batches ---------------------------------------------------------------------------------------

  fastify.post(
    '/v1/batches',
    {
      config,
      schema: {
        tags: ['files'],
        summary: 'Create a batch from a file this key uploaded',
        body: BatchRequestSchema,
        response: { 200: OpenObject, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const holder = await owned(request, body.input_file_id, 'file').catch((error: unknown) => {
        if (error instanceof GatewayError && error.gatewayCode === 'GW_ERR_FILE_NOT_FOUND') {
          throw new GatewayError('GW_ERR_FILE_NOT_FOUND', {
            message: `No such File object: ${body.input_file_id}`,
            param: 'input_file_id',
          });
        }
        throw error;
      });
      await authorizeBatchModels(request, reply, holder, body.input_file_id);
      const answer = await call(request, reply, holder, {
        method: 'POST',
        collection: 'batches',
        subpath: '',
        query: '',
        body: { json: body },
      });
      const batch = objectOf(answer.result, holder);
      if (typeof batch['id'] === 'string') {
        await remember(request, batch['id'], { kind: 'batch', instance: holder.id });
      }
      return sendModelResult(request, reply, answer.result, answer.handle);
    },
  );

  fastify.get(
    '/v1/batches',
    {
      config,
      schema: {
        tags: ['files'],
        summary: "List this key's batches",
        querystring: ListQuery,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...commonErrorResponses },
      },
    },
    (request, reply) => listOwned(request, reply, 'batches', 'batch'),
  );

  for (const [method, suffix, summary] of [
    ['GET', '', 'Retrieve a batch'],
    ['POST', '/cancel', 'Cancel a batch'],
  ] as const) {
    fastify.route({
      method,
      url: `/v1/batches/:id${suffix}`,
      config,
      schema: {
        tags: ['files'],
        summary,
        description: 'Only the key that created a batch finds it.',
        params: ObjectIdParams,
        response: { 200: OpenObject, ...commonErrorResponses },
      },
      handler: async (request, reply) => {
        const id = request.params.id;
        const holder = await owned(request, id, 'batch');
        const answer = await call(request, reply, holder, {
          method,
          collection: 'batches',
          subpath: `/${encodeURIComponent(id)}${suffix}`,
          query: '',
        });
        const batch = objectOf(answer.result, holder);
        await adoptOutputFiles(request, batch, holder);
        if (batch['status'] === 'completed' && typeof batch['output_file_id'] === 'string') {
          accountOnce(request, id, batch['output_file_id'], holder);
        }
        return sendModelResult(request, reply, answer.result as UnaryResult, answer.handle);
      },
    });
  }

  /** A batch's output and error files belong to the batch's key. */
  async function adoptOutputFiles(
    request: FastifyRequest,
    batch: Record<string, unknown>,
    holder: ProviderInstance,
  ): Promise<void> {
    for (const field of ['output_file_id', 'error_file_id']) {
      const fileId = batch[field];
      if (typeof fileId === 'string' && fileId)
        await remember(request, fileId, { kind: 'file', instance: holder.id });
    }
  }

  /** The lines of a file the provider keeps, read whole (a batch file holds at most 200 MB). */
  async function readFileLines(
    holder: ProviderInstance,
    fileId: string,
    context: Parameters<NonNullable<ProviderInstance['adapter']['storedObjects']>>[1],
  ): Promise<string[]> {
    const result = await holder.adapter.storedObjects!(
      { method: 'GET', collection: 'files', subpath: `/${encodeURIComponent(fileId)}/content`, query: '' },
      context,
    );
    if (!isByteStreamResult(result)) return result.body.toString('utf8').split('\n');
    const lines: string[] = [];
    for await (const line of createInterface({ input: Readable.from(result.stream), crlfDelay: Infinity })) {
      lines.push(line);
    }
    return lines;
  }

  /**
   * A key with a model allow-list may batch only the models it may call: every line of the input
   * file is read and its `body.model` checked before the batch is created.
   */
  async function authorizeBatchModels(
    request: FastifyRequest,
    reply: FastifyReply,
    holder: ProviderInstance,
    fileId: string,
  ): Promise<void> {
    const allows = request.gateway.identity?.allowsModel;
    if (!allows) return;
    const handle = startCall(request, reply, options.requestTimeout, []);
    let lines;
    try {
      lines = await readFileLines(holder, fileId, handle.context);
    } finally {
      handle.dispose();
    }
    for (const [index, line] of lines.entries()) {
      if (!line.trim()) continue;
      let model: unknown;
      try {
        model = (JSON.parse(line) as { body?: { model?: unknown } }).body?.model;
      } catch {
        model = undefined;
      }
      if (typeof model !== 'string' || !allows(model)) {
        request.log.warn(
          { event: 'auth_failure', reason: 'model_forbidden', key: request.gateway.identity?.id, model },
          'security event',
        );
        throw new GatewayError('GW_ERR_AUTH_MODEL_FORBIDDEN', {
          message: `Line ${index + 1} of ${fileId} names the model '${String(model)}', which this API key may not use.`,
          param: 'input_file_id',
        });
      }
    }
  }

  /**
   * Accounts a finished batch's usage, once, after the answer: the output file is read from the
   * provider and each model's usage recorded to the key at the batch price.
   */
  function accountOnce(
    request: FastifyRequest,
    batchId: string,
    outputFileId: string,
    holder: ProviderInstance,
  ): void {
    const identity = request.gateway.identity;
    if (!identity) return;
    const owner = ownerOf(request);
    const log = request.log;
    const run = async () => {
      if (!(await store.claim(owner, batchId, 'accounted', RETENTION_SECONDS))) return;
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new Error('REQUEST_TIMEOUT passed')),
        options.requestTimeout,
      );
      try {
        const collected = await readFileLines(holder, outputFileId, {
          signal: controller.signal,
          deadline: Date.now() + options.requestTimeout,
          log,
          requestId: request.id,
          warnings: [],
        });
        const now = new Date();
        for (const [model, usage] of convertBatchOutputToUsage(collected)) {
          const entry =
            fastify.gatewayCatalog.get(model) ??
            fastify.gatewayCatalog.findByUpstream(holder.type, model) ??
            fastify.gatewayCatalog.get(model.replace(/-\d{4}-\d{2}-\d{2}$/, ''));
          const pricing: Pricing | undefined = batchPricingOf(pricingOf({ model: entry, instance: holder }));
          const costUsd = costOf(pricing, usage);
          await fastify.gatewayUsage.record({
            identity: identity.id,
            model: entry?.id ?? model,
            usage,
            costUsd,
            at: now,
          });
          const labels = { provider: holder.id, model: entry?.id ?? 'other' };
          fastify.gatewayMetrics.tokens.inc({ ...labels, kind: 'prompt' }, usage.promptTokens);
          fastify.gatewayMetrics.tokens.inc({ ...labels, kind: 'completion' }, usage.completionTokens);
          if (costUsd > 0) fastify.gatewayMetrics.cost.inc(labels, costUsd);
          log.info(
            {
              batch: batchId,
              key: identity.id,
              model: entry?.id ?? model,
              promptTokens: usage.promptTokens,
              completionTokens: usage.completionTokens,
              costUsd,
            },
            'batch usage accounted',
          );
        }
      } finally {
        clearTimeout(timer);
      }
    };
    run().catch((error: unknown) => log.warn({ err: error, batch: batchId }, 'batch usage not accounted'));
  }
};
