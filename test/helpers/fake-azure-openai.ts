/**
 * A fake Azure OpenAI resource and a fake Entra ID token endpoint, on loopback FakeUpstreams. The
 * resource checks what Azure checks before it answers: a known `api-key` or a bearer token the token
 * endpoint minted (401), an `api-version` on the deployment paths and none needed on the v1 paths
 * (404 without it), and a deployment it has (404 DeploymentNotFound); a prompt its filters refuse
 * (here: one that says BLOCK-ME) is the 400 `content_filter` error. Answers are the fixtures of
 * test/fixtures/azure-openai/, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { FakeUpstream, type RecordedRequest, type ScriptedResponse } from './fake-upstream.js';
import { fakeVector } from './fake-openai.js';

export function azureFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/azure-openai/${name}`, import.meta.url), 'utf8');
}

export const AZURE_CHAT_COMPLETION = azureFixture('chat-completion.json');
export const AZURE_CHAT_STREAM_USAGE = azureFixture('chat-completion-stream-usage.txt');

/**
 * The stream Azure sends without `include_usage`: no usage chunk, no `"usage":null` members (the
 * prompt-filter event, with `choices: []` and no usage, stays).
 */
export function azureStreamWithoutUsage(stream = AZURE_CHAT_STREAM_USAGE): string {
  return stream
    .split('\n\n')
    .filter((event) => !(event.includes('"choices":[]') && /"usage":\{/.test(event)))
    .join('\n\n')
    .replaceAll(',"usage":null', '');
}

export const AZURE_API_VERSIONS = ['2024-10-21', '2025-04-01-preview'];
export const ENTRA_SCOPE = 'https://cognitiveservices.azure.com/.default';

/** Entra ID's token endpoint for one tenant and one application (client credentials). */
export class FakeEntra {
  readonly upstream = new FakeUpstream();
  /** Tokens minted so far, in order; all stay valid unless revoked. */
  readonly minted: string[] = [];
  readonly #revoked = new Set<string>();
  /** `expires_in` of the next tokens, seconds. */
  lifetimeSeconds = 3599;

  constructor(
    readonly tenantId: string,
    readonly clientId: string,
    readonly clientSecret: string,
  ) {
    this.upstream.route('POST', this.path, (request) => this.#answer(request));
  }

  get path(): string {
    return `/${this.tenantId}/oauth2/v2.0/token`;
  }

  async listen(): Promise<this> {
    await this.upstream.listen();
    return this;
  }

  get origin(): string {
    return this.upstream.origin;
  }

  accepts(token: string): boolean {
    return this.minted.includes(token) && !this.#revoked.has(token);
  }

  revoke(token: string): void {
    this.#revoked.add(token);
  }

  close(): Promise<void> {
    return this.upstream.close();
  }

  #answer(request: RecordedRequest): ScriptedResponse {
    const form = new URLSearchParams(request.body.toString('utf8'));
    if (!String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return {
        status: 400,
        json: { error: 'invalid_request', error_description: 'AADSTS900144: form body expected' },
      };
    }
    if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== ENTRA_SCOPE) {
      return {
        status: 400,
        json: { error: 'invalid_request', error_description: 'AADSTS90014: wrong grant or scope' },
      };
    }
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return {
        status: 401,
        body: azureFixture('entra-error-invalid-client.json'),
        headers: { 'content-type': 'application/json' },
      };
    }
    const token = `entra-token-${this.minted.length + 1}-${'x'.repeat(24)}`;
    this.minted.push(token);
    const wire = JSON.parse(azureFixture('entra-token.json')) as Record<string, unknown>;
    return {
      json: {
        ...wire,
        access_token: token,
        expires_in: this.lifetimeSeconds,
        ext_expires_in: this.lifetimeSeconds,
      },
    };
  }
}

export interface FakeAzureOptions {
  /** Deployment names the resource has. */
  deployments: readonly string[];
  apiKey: string;
  /** Entra ID whose tokens the resource accepts. */
  entra?: FakeEntra;
}

type Style = 'deployments' | 'v1';

/** A fake Azure OpenAI resource. */
export class FakeAzureOpenAI {
  readonly upstream = new FakeUpstream();

  constructor(readonly options: FakeAzureOptions) {
    const { upstream } = this;
    for (const deployment of options.deployments) {
      const base = `/openai/deployments/${deployment}`;
      upstream.route('POST', `${base}/chat/completions`, (request) =>
        this.#guard(request, 'deployments', deployment, () => this.#chat(request)),
      );
      upstream.route('POST', `${base}/embeddings`, (request) =>
        this.#guard(request, 'deployments', deployment, () => this.#embeddings(request)),
      );
      upstream.route('POST', `${base}/audio/speech`, (request) =>
        this.#guard(request, 'deployments', deployment, () => ({
          headers: { 'content-type': 'audio/mpeg' },
          body: Buffer.from('ID3-fake-mp3'),
        })),
      );
    }
    // Any other deployment path: a deployment the resource does not have.
    upstream.otherwise((request) =>
      request.path.startsWith('/openai/deployments/')
        ? this.#guard(request, 'deployments', request.path.split('/')[3], () => ({}))
        : jsonAnswer(404, azureFixture('error-resource-not-found.json')),
    );
    upstream.route('POST', '/openai/responses', (request) =>
      this.#guard(request, 'deployments', undefined, () => this.#response(request)),
    );
    upstream.route('POST', '/openai/v1/chat/completions', (request) =>
      this.#guard(request, 'v1', undefined, () => this.#chat(request)),
    );
    upstream.route('POST', '/openai/v1/embeddings', (request) =>
      this.#guard(request, 'v1', undefined, () => this.#embeddings(request)),
    );
    upstream.route('POST', '/openai/v1/responses', (request) =>
      this.#guard(request, 'v1', undefined, () => this.#response(request)),
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

  #guard(
    request: RecordedRequest,
    style: Style,
    deployment: string | undefined,
    answer: () => ScriptedResponse,
  ): ScriptedResponse {
    const key = request.headers['api-key'];
    const bearer = /^Bearer (.+)$/.exec(String(request.headers['authorization'] ?? ''))?.[1];
    const authorized =
      (typeof key === 'string' && key === this.options.apiKey) ||
      (bearer !== undefined && this.options.entra?.accepts(bearer) === true);
    if (!authorized) return jsonAnswer(401, azureFixture('error-invalid-key.json'));
    const version = new URL(request.url, 'http://azure.invalid').searchParams.get('api-version');
    if (style === 'deployments' && (!version || !AZURE_API_VERSIONS.includes(version))) {
      return jsonAnswer(404, azureFixture('error-resource-not-found.json'));
    }
    // On the v1 paths and the Responses API the deployment is the body's model.
    const named = deployment ?? (request.json as { model?: string } | undefined)?.model;
    if (!named || !this.options.deployments.includes(named)) {
      return jsonAnswer(404, azureFixture('error-deployment-not-found.json'));
    }
    return answer();
  }

  #chat(request: RecordedRequest): ScriptedResponse {
    const body = request.json as {
      stream?: boolean;
      stream_options?: { include_usage?: boolean };
      messages?: { content?: unknown }[];
    };
    if (JSON.stringify(body.messages ?? []).includes('BLOCK-ME')) {
      return jsonAnswer(400, azureFixture('error-content-filter.json'));
    }
    if (!body.stream) return jsonAnswer(200, AZURE_CHAT_COMPLETION);
    return {
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
      body: body.stream_options?.include_usage ? AZURE_CHAT_STREAM_USAGE : azureStreamWithoutUsage(),
    };
  }

  #embeddings(request: RecordedRequest): ScriptedResponse {
    const input = (request.json as { input?: string | string[] }).input ?? [];
    const texts = Array.isArray(input) ? input : [input];
    return {
      json: {
        data: texts.map((text, index) => ({ embedding: fakeVector(text), index, object: 'embedding' })),
        model: 'text-embedding-3-small',
        object: 'list',
        usage: { prompt_tokens: texts.length * 2, total_tokens: texts.length * 2 },
      },
    };
  }

  #response(request: RecordedRequest): ScriptedResponse {
    const model = (request.json as { model?: string }).model;
    return {
      json: {
        created_at: 1762560510,
        id: 'resp_azure_0001',
        model,
        object: 'response',
        output: [
          {
            content: [{ annotations: [], text: 'Paris.', type: 'output_text' }],
            id: 'msg_azure_0001',
            role: 'assistant',
            status: 'completed',
            type: 'message',
          },
        ],
        status: 'completed',
        usage: { input_tokens: 12, output_tokens: 2, total_tokens: 14 },
      },
    };
  }
}

function jsonAnswer(status: number, body: string): ScriptedResponse {
  return { status, headers: { 'content-type': 'application/json' }, body };
}
