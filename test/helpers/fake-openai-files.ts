/**
 * OpenAI's files and batches on the fake upstream: objects in the shapes of the API reference
 * (https://platform.openai.com/docs/api-reference/files, …/batch), kept while the fake runs, listed
 * newest first with `after` and `limit`, and a batch that the test finishes when it likes
 * (`finishBatch`), its output file holding one chat completion per input line with its usage.
 */
import type { FakeUpstream, RecordedRequest, ScriptedResponse } from './fake-upstream.js';
import { readReceivedForm } from './fake-openai.js';

interface StoredFile {
  object: Record<string, unknown>;
  bytes: Buffer;
}

function json(status: number, body: unknown): ScriptedResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body, null, 2) };
}

function notFound(kind: string, id: string): ScriptedResponse {
  return json(404, {
    error: {
      message: `No such ${kind} object: ${id}`,
      type: 'invalid_request_error',
      param: 'id',
      code: null,
    },
  });
}

/** The usage the fake's batch answers report for one request: a fixed, recognisable figure. */
export const BATCH_LINE_USAGE = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 };

export class FakeOpenAIFiles {
  readonly files = new Map<string, StoredFile>();
  readonly batches = new Map<string, Record<string, unknown>>();
  #sequence = 0;

  constructor(fake: FakeUpstream) {
    fake.route('POST', '/v1/files', (request) => this.#upload(request));
    fake.route('GET', '/v1/files', (request) =>
      this.#list(
        request,
        [...this.files.values()].map((file) => file.object),
      ),
    );
    fake.route('POST', '/v1/batches', (request) => this.#createBatch(request));
    fake.route('GET', '/v1/batches', (request) => this.#list(request, [...this.batches.values()]));
    fake.otherwise((request) => this.#byId(request));
  }

  #id(prefix: string): string {
    this.#sequence++;
    return `${prefix}${String(this.#sequence).padStart(24, '0')}`;
  }

  async #upload(request: RecordedRequest): Promise<ScriptedResponse> {
    const form = await readReceivedForm(request);
    const purpose = form.fields.find(([name]) => name === 'purpose')?.[1];
    if (!form.file || !purpose) {
      return json(400, {
        error: {
          message: "'file' and 'purpose' are required",
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
    }
    return json(200, this.addFile(form.file.name, purpose, form.file.bytes));
  }

  /** A file the provider holds (an upload, or a batch's output). */
  addFile(filename: string, purpose: string, bytes: Buffer): Record<string, unknown> {
    const object = {
      id: this.#id('file-'),
      object: 'file',
      bytes: bytes.length,
      created_at: 1_711_471_533 + this.#sequence,
      expires_at: null,
      filename,
      purpose,
    };
    this.files.set(object.id, { object, bytes });
    return object;
  }

  #list(request: RecordedRequest, objects: Record<string, unknown>[]): ScriptedResponse {
    const query = new URL(request.url, 'http://fake.invalid').searchParams;
    const newestFirst = [...objects].reverse();
    const after = query.get('after');
    const start = after ? newestFirst.findIndex((object) => object['id'] === after) + 1 : 0;
    const limit = Number(query.get('limit') ?? 20);
    const data = newestFirst.slice(start, start + limit);
    return json(200, {
      object: 'list',
      data,
      first_id: data[0]?.['id'] ?? null,
      last_id: data.at(-1)?.['id'] ?? null,
      has_more: start + limit < newestFirst.length,
    });
  }

  #createBatch(request: RecordedRequest): ScriptedResponse {
    const body = request.json as {
      input_file_id?: string;
      endpoint?: string;
      completion_window?: string;
      metadata?: unknown;
    };
    if (!body.input_file_id || !this.files.has(body.input_file_id))
      return notFound('File', String(body.input_file_id));
    const batch = {
      id: this.#id('batch_'),
      object: 'batch',
      endpoint: body.endpoint,
      errors: null,
      input_file_id: body.input_file_id,
      completion_window: body.completion_window,
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: 1_711_471_533,
      in_progress_at: null,
      expires_at: 1_711_557_933,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      metadata: body.metadata ?? null,
    };
    this.batches.set(batch.id, batch);
    return json(200, batch);
  }

  /** Runs a batch as the provider would: one chat completion per input line, its output file made. */
  finishBatch(id: string): void {
    const batch = this.batches.get(id)!;
    const input = this.files.get(String(batch['input_file_id']))!.bytes.toString('utf8');
    const lines = input.split('\n').filter((line) => line.trim());
    const output = lines.map((line, index) => {
      const request = JSON.parse(line) as { custom_id: string; body: { model: string } };
      return JSON.stringify({
        id: `batch_req_${index}`,
        custom_id: request.custom_id,
        response: {
          status_code: 200,
          request_id: `req_${index}`,
          body: {
            id: `chatcmpl-${index}`,
            object: 'chat.completion',
            created: 1_711_475_054,
            model: `${request.body.model}-2024-07-18`,
            choices: [{ index: 0, message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' }],
            usage: BATCH_LINE_USAGE,
          },
        },
        error: null,
      });
    });
    const file = this.addFile(`${id}_output.jsonl`, 'batch_output', Buffer.from(`${output.join('\n')}\n`));
    Object.assign(batch, {
      status: 'completed',
      output_file_id: file['id'],
      completed_at: 1_711_493_163,
      request_counts: { total: lines.length, completed: lines.length, failed: 0 },
    });
  }

  #byId(request: RecordedRequest): ScriptedResponse {
    const [, , collection, id, action] = request.path.split('/');
    if (collection === 'files' && id) {
      const file = this.files.get(id);
      if (!file) return notFound('File', id);
      if (request.method === 'DELETE' && !action) {
        this.files.delete(id);
        return json(200, { id, object: 'file', deleted: true });
      }
      if (request.method === 'GET' && action === 'content') {
        return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: file.bytes };
      }
      if (request.method === 'GET' && !action) return json(200, file.object);
    }
    if (collection === 'batches' && id) {
      const batch = this.batches.get(id);
      if (!batch) return notFound('Batch', id);
      if (request.method === 'POST' && action === 'cancel') {
        Object.assign(batch, { status: 'cancelling', cancelling_at: 1_711_471_600 });
        return json(200, batch);
      }
      if (request.method === 'GET' && !action) return json(200, batch);
    }
    return json(404, {
      error: {
        message: `Unknown request URL: ${request.method} ${request.path}`,
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
    });
  }
}
