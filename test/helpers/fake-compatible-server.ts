/**
 * A fake OpenAI-compatible server (a vLLM, a Mistral) on a loopback FakeUpstream, refusing what the
 * real one refuses: fields it does not take (`stream_options`, `max_completion_tokens`), roles its
 * chat template does not know (`developer`), a model it has not loaded, a wrong key. It lists the
 * models it has loaded at GET /v1/models, and the test can load others. Answers are the fixtures
 * of test/fixtures/openai-compatible/, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { FakeUpstream, type RecordedRequest, type ScriptedResponse } from './fake-upstream.js';

export function compatibleFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/openai-compatible/${name}`, import.meta.url), 'utf8');
}

export interface FakeCompatibleOptions {
  /** GET /v1/models: a fixture name. */
  models: string;
  chat: string;
  stream: string;
  /** Request fields answered with `refusal` (400 or 422). */
  refusedFields: readonly string[];
  /** Roles its chat template takes. */
  roles: readonly string[];
  refusal: { status: number; fixture: string };
  roleRefusal?: { status: number; fixture: string };
  /** When set, requests without `Authorization: Bearer <apiKey>` are a 401. */
  apiKey?: string;
}

export class FakeCompatibleServer {
  readonly upstream = new FakeUpstream();
  #models: string;

  constructor(readonly options: FakeCompatibleOptions) {
    this.#models = options.models;
    this.upstream.route('GET', '/v1/models', (request) =>
      this.#guard(request, () => json(200, this.#models)),
    );
    this.upstream.route('POST', '/v1/chat/completions', (request) =>
      this.#guard(request, () => this.#chat(request)),
    );
  }

  /** The server now serves what `fixture` lists (a restart with other models). */
  load(fixture: string): void {
    this.#models = fixture;
  }

  loadedModels(): string[] {
    return (JSON.parse(compatibleFixture(this.#models)) as { data: { id: string }[] }).data.map(
      (model) => model.id,
    );
  }

  async listen(): Promise<this> {
    await this.upstream.listen();
    return this;
  }

  get origin(): string {
    return this.upstream.origin;
  }

  close(): Promise<void> {
    return this.upstream.close();
  }

  #guard(request: RecordedRequest, answer: () => ScriptedResponse): ScriptedResponse {
    if (this.options.apiKey && request.headers['authorization'] !== `Bearer ${this.options.apiKey}`) {
      return {
        status: 401,
        json: { object: 'error', message: 'Unauthorized', type: 'Unauthorized', code: 401 },
      };
    }
    return answer();
  }

  #chat(request: RecordedRequest): ScriptedResponse {
    const body = request.json as {
      model?: string;
      stream?: boolean;
      messages?: { role?: string }[];
    } & Record<string, unknown>;
    if (this.options.refusedFields.some((field) => body[field] !== undefined)) {
      return json(this.options.refusal.status, this.options.refusal.fixture);
    }
    if (body.messages?.some((message) => !this.options.roles.includes(message.role ?? ''))) {
      const refusal = this.options.roleRefusal ?? this.options.refusal;
      return json(refusal.status, refusal.fixture);
    }
    if (!body.model || !this.loadedModels().includes(body.model)) {
      return {
        status: 404,
        json: {
          object: 'error',
          message: `The model \`${body.model}\` does not exist.`,
          type: 'NotFoundError',
          code: 404,
        },
      };
    }
    if (!body.stream) return json(200, this.options.chat);
    return {
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
      body: compatibleFixture(this.options.stream),
    };
  }
}

function json(status: number, fixture: string): ScriptedResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: compatibleFixture(fixture) };
}

/** A vLLM that refuses `stream_options` and the `developer` role, and streams no usage. */
export function fakeVllm(): FakeCompatibleServer {
  return new FakeCompatibleServer({
    models: 'vllm-models.json',
    chat: 'vllm-chat-completion.json',
    stream: 'vllm-chat-stream.txt',
    refusedFields: ['stream_options'],
    roles: ['system', 'user', 'assistant', 'tool'],
    refusal: { status: 400, fixture: 'vllm-error-stream-options.json' },
    roleRefusal: { status: 400, fixture: 'vllm-error-developer-role.json' },
  });
}

/** Mistral: a key, no `stream_options` nor `max_completion_tokens`, usage on a stream's last chunk. */
export function fakeMistral(apiKey: string): FakeCompatibleServer {
  return new FakeCompatibleServer({
    models: 'mistral-models.json',
    chat: 'mistral-chat-completion.json',
    stream: 'mistral-chat-stream.txt',
    refusedFields: ['stream_options', 'max_completion_tokens'],
    roles: ['system', 'user', 'assistant', 'tool'],
    refusal: { status: 422, fixture: 'mistral-error-extra-forbidden.json' },
    apiKey,
  });
}
