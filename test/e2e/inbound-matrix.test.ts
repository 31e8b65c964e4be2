/**
 * The inbound matrix: every API the gateway accepts (OpenAI chat completions, the Responses API,
 * Anthropic's Messages API, the Gemini API) reaching every provider (OpenAI, Gemini, Anthropic), one
 * listening gateway in front of the three loopback fakes. Each cell is tried unary, streamed, and
 * with a tool call (unary and streamed); each answer is checked in the shape of the API the client
 * used (OpenAI's published schemas for OpenAI's two APIs; the Messages and Gemini wire shapes and
 * stream grammars for the others), with the text or the call the provider gave, and the cells the
 * README says are passed through are checked to reach the provider with the client's own body.
 * The README's table of the matrix is checked against the cells this file tries.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { OPENAI_KEY, TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import {
  ANTHROPIC_KEY,
  MESSAGES_PATH,
  anthropicFixture,
  anthropicSse,
  fixtureEvents as anthropicFixtureEvents,
  startFakeAnthropic,
  streamAnthropic,
  unaryAnthropic,
} from '../helpers/fake-anthropic.js';
import {
  DEFAULT_STREAM as GEMINI_STREAM,
  DEFAULT_UNARY as GEMINI_UNARY,
  GEMINI_KEY,
  geminiFixture,
  geminiPath,
  startFakeGemini,
  streamGemini,
  unaryGemini,
} from '../helpers/fake-gemini.js';
import {
  CHAT_COMPLETION,
  CHAT_STREAM_TOOL_CALLS,
  CHAT_STREAM_USAGE,
  RESPONSE,
  RESPONSE_STREAM,
  RESPONSE_TOOL_CALLS,
  openaiFixture,
  startFakeOpenAI,
  streamChat,
  unaryChat,
} from '../helpers/fake-openai.js';
import type { FakeUpstream, ScriptedResponse } from '../helpers/fake-upstream.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

// ---- the matrix ------------------------------------------------------------------------------------

const DOORS = ['chat', 'responses', 'messages', 'gemini'] as const;
const PROVIDERS = ['openai', 'gemini', 'anthropic'] as const;
type Door = (typeof DOORS)[number];
type Provider = (typeof PROVIDERS)[number];
type Mode = 'unary' | 'streamed' | 'tool call' | 'streamed tool call';
const MODES: readonly Mode[] = ['unary', 'streamed', 'tool call', 'streamed tool call'];

const DOOR_NAMES: Record<Door, string> = {
  chat: 'OpenAI chat (`/v1/chat/completions`)',
  responses: 'OpenAI Responses (`/v1/responses`)',
  messages: 'Anthropic Messages (`/v1/messages`)',
  gemini: 'Gemini (`/v1beta/models/{model}:generateContent`)',
};
const PROVIDER_NAMES: Record<Provider, string> = {
  openai: 'OpenAI',
  gemini: 'Gemini',
  anthropic: 'Anthropic',
};
const MODELS: Record<Provider, string> = {
  openai: 'gpt-4o-mini',
  gemini: 'gemini-2.5-flash',
  anthropic: 'claude-sonnet-4-5',
};

/** Where the door and the provider speak the same API, the request and the answer pass through. */
function passesThrough(door: Door, provider: Provider): boolean {
  return (
    (door === 'chat' && provider === 'openai') ||
    (door === 'responses' && provider === 'openai') ||
    (door === 'messages' && provider === 'anthropic') ||
    (door === 'gemini' && provider === 'gemini')
  );
}

/** The README's table of the matrix, as this file tests it. */
function renderMatrixTable(): string[][] {
  return [
    ['Inbound API', ...PROVIDERS.map((provider) => PROVIDER_NAMES[provider])],
    ...DOORS.map((door) => [
      DOOR_NAMES[door],
      ...PROVIDERS.map((provider) => (passesThrough(door, provider) ? 'passed through' : 'translated')),
    ]),
  ];
}

// ---- what the providers answer -------------------------------------------------------------------

interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

const WEATHER_PARAMETERS = {
  type: 'object',
  properties: { city: { type: 'string' }, location: { type: 'string' } },
};
const PARIS: ToolCall = { name: 'get_weather', arguments: { city: 'Paris' } };

/** Gemini's answer calling get_weather: the recorded function-call answer with the call replaced. */
function geminiToolAnswer(): Record<string, unknown> {
  const recorded = JSON.parse(geminiFixture('vertexai/unary-success-function-call-json-literal.json')) as {
    candidates: { content: { parts: unknown[] } }[];
  };
  recorded.candidates[0]!.content.parts = [{ functionCall: { name: PARIS.name, args: PARIS.arguments } }];
  return recorded;
}

/** Claude's answer calling get_weather: the recorded tool-use answer with the call replaced. */
function anthropicToolAnswer(): Record<string, unknown> {
  const recorded = JSON.parse(anthropicFixture('anthropic-tool-no-args.json')) as {
    content: Record<string, unknown>[];
  };
  recorded.content = [
    recorded.content[0]!,
    { ...recorded.content[1], name: PARIS.name, input: PARIS.arguments },
  ];
  return recorded;
}

/** The recorded tool-use stream, its tool block calling get_weather with its input in two pieces. */
function anthropicToolStream(): string {
  const input = JSON.stringify(PARIS.arguments);
  const events = anthropicFixtureEvents('anthropic-tool-no-args.chunks.txt').flatMap((event) => {
    if (event['type'] === 'content_block_start' && event['index'] === 1) {
      const block = event['content_block'] as Record<string, unknown>;
      return [{ ...event, content_block: { ...block, name: PARIS.name } }];
    }
    if (event['type'] === 'content_block_delta' && event['index'] === 1) {
      const half = Math.floor(input.length / 2);
      return [input.slice(0, half), input.slice(half)].map((piece) => ({
        ...event,
        delta: { type: 'input_json_delta', partial_json: piece },
      }));
    }
    return [event];
  });
  return anthropicSse(events);
}

function openaiCalls(fixture: string, path: 'chat' | 'responses'): ToolCall[] {
  if (path === 'responses') {
    const output = (JSON.parse(fixture) as { output: Record<string, string>[] }).output;
    return output
      .filter((item) => item['type'] === 'function_call')
      .map((item) => ({ name: item['name']!, arguments: JSON.parse(item['arguments']!) as never }));
  }
  const message = (
    JSON.parse(fixture) as {
      choices: { message: { tool_calls: { function: { name: string; arguments: string } }[] } }[];
    }
  ).choices[0]!.message;
  return message.tool_calls.map((call) => ({
    name: call.function.name,
    arguments: JSON.parse(call.function.arguments) as never,
  }));
}

/** The calls each provider's scripted answer makes, as the door must show them. */
function expectedCalls(door: Door, provider: Provider): ToolCall[] {
  if (provider === 'openai') {
    return door === 'responses'
      ? openaiCalls(RESPONSE_TOOL_CALLS, 'responses')
      : openaiCalls(CHAT_COMPLETION_TOOLS, 'chat');
  }
  return [PARIS];
}

const CHAT_COMPLETION_TOOLS = openaiFixture('chat-completion-tool-calls.json');

/** The data of each `data:` line of an SSE text, parsed. */
function sseData(text: string): Record<string, unknown>[] {
  return text
    .split(/\r?\n\r?\n/)
    .flatMap((event) => event.split(/\r?\n/).filter((line) => line.startsWith('data: ')))
    .map((line) => line.slice('data: '.length))
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data) as Record<string, unknown>);
}

/** The text a provider's scripted answer holds, as every door must give it back. */
function expectedText(door: Door, provider: Provider, stream: boolean): string {
  switch (provider) {
    case 'openai': {
      if (door === 'responses') {
        if (stream) {
          return sseData(RESPONSE_STREAM)
            .filter((event) => event['type'] === 'response.output_text.delta')
            .map((event) => String(event['delta']))
            .join('');
        }
        return responseText(JSON.parse(RESPONSE) as Record<string, unknown>);
      }
      if (stream) {
        return sseData(CHAT_STREAM_USAGE)
          .map((chunk) => (chunk['choices'] as { delta: { content?: string } }[])[0]?.delta.content ?? '')
          .join('');
      }
      return (JSON.parse(CHAT_COMPLETION) as { choices: { message: { content: string } }[] }).choices[0]!
        .message.content;
    }
    case 'gemini': {
      const answers = stream
        ? sseData(geminiFixture(GEMINI_STREAM))
        : [JSON.parse(geminiFixture(GEMINI_UNARY)) as Record<string, unknown>];
      return answers.map((answer) => geminiText(answer)).join('');
    }
    case 'anthropic': {
      if (stream) {
        return anthropicFixtureEvents('anthropic-text.chunks.txt')
          .map((event) => (event['delta'] as { text?: string } | undefined)?.text ?? '')
          .join('');
      }
      const message = JSON.parse(anthropicFixture('anthropic-text.json')) as Record<string, unknown>;
      return messageText(message);
    }
  }
}

// ---- what each door's answer holds, checked in the door's own shape --------------------------------

interface Answer {
  text: string;
  calls: ToolCall[];
  provider: string | null;
}

function responseText(response: Record<string, unknown>): string {
  return (response['output'] as { type: string; content?: { type: string; text?: string }[] }[])
    .filter((item) => item.type === 'message')
    .flatMap((item) => item.content ?? [])
    .filter((part) => part.type === 'output_text')
    .map((part) => part.text)
    .join('');
}

function messageText(message: Record<string, unknown>): string {
  return (message['content'] as { type: string; text?: string }[])
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

function geminiText(answer: Record<string, unknown>): string {
  const candidates = (answer['candidates'] ?? []) as {
    content?: { parts?: { text?: string; thought?: boolean }[] };
  }[];
  return (candidates[0]?.content?.parts ?? [])
    .filter((part) => part.thought !== true)
    .map((part) => part.text ?? '')
    .join('');
}

const STOP_REASONS = new Set([
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
]);

/** A Messages API `message` as Anthropic's API reference describes it. */
function checkMessage(message: Record<string, unknown>): void {
  expect(message).toMatchObject({ type: 'message', role: 'assistant' });
  expect(typeof message['id']).toBe('string');
  expect(typeof message['model']).toBe('string');
  expect(STOP_REASONS.has(String(message['stop_reason']))).toBe(true);
  const usage = message['usage'] as Record<string, unknown>;
  expect(Number.isInteger(usage['input_tokens'])).toBe(true);
  expect(Number.isInteger(usage['output_tokens'])).toBe(true);
  for (const block of message['content'] as Record<string, unknown>[]) {
    if (block['type'] === 'text') expect(typeof block['text']).toBe('string');
    else if (block['type'] === 'tool_use') {
      expect(typeof block['id']).toBe('string');
      expect(typeof block['name']).toBe('string');
      expect(typeof block['input']).toBe('object');
    } else if (block['type'] === 'thinking') expect(typeof block['thinking']).toBe('string');
    else throw new Error(`unexpected content block ${JSON.stringify(block)}`);
  }
}

/** The delta types each block type takes in a Messages stream. */
const DELTAS: Record<string, readonly string[]> = {
  text: ['text_delta'],
  tool_use: ['input_json_delta'],
  thinking: ['thinking_delta', 'signature_delta'],
};

/**
 * A Messages event stream, checked against Anthropic's grammar: every event named by its type,
 * `message_start` first, each block opened, given deltas of its kind and closed in order,
 * `message_delta` with the stop reason, `message_stop` last; put together into the message it stands for.
 */
function assembleMessageStream(text: string): Record<string, unknown> {
  const frames = text.split('\n\n').filter((frame) => frame.trim().length > 0);
  let message: Record<string, unknown> | undefined;
  const blocks: Record<string, unknown>[] = [];
  const partialJson: string[] = [];
  let open: number | undefined;
  let stopped = false;
  let delta = false;
  for (const frame of frames) {
    const lines = frame.split('\n');
    expect(lines[0]).toMatch(/^event: /);
    expect(lines[1]).toMatch(/^data: /);
    const name = lines[0]!.slice('event: '.length);
    const event = JSON.parse(lines[1]!.slice('data: '.length)) as Record<string, unknown>;
    expect(event['type']).toBe(name);
    expect(stopped).toBe(false);
    if (name === 'ping') continue;
    if (message === undefined) {
      expect(name).toBe('message_start');
      message = { ...(event['message'] as Record<string, unknown>) };
      expect(message['content']).toEqual([]);
      continue;
    }
    switch (name) {
      case 'content_block_start':
        expect(open).toBeUndefined();
        expect(event['index']).toBe(blocks.length);
        open = blocks.length;
        blocks.push({ ...(event['content_block'] as Record<string, unknown>) });
        partialJson.push('');
        break;
      case 'content_block_delta': {
        expect(event['index']).toBe(open);
        const block = blocks[open!]!;
        const change = event['delta'] as Record<string, string>;
        expect(DELTAS[String(block['type'])]).toContain(change['type']);
        if (change['type'] === 'text_delta') block['text'] = String(block['text'] ?? '') + change['text'];
        if (change['type'] === 'thinking_delta')
          block['thinking'] = String(block['thinking'] ?? '') + change['thinking'];
        if (change['type'] === 'signature_delta') block['signature'] = change['signature'];
        if (change['type'] === 'input_json_delta') {
          partialJson[open!] = `${partialJson[open!] ?? ''}${change['partial_json'] ?? ''}`;
        }
        break;
      }
      case 'content_block_stop': {
        expect(event['index']).toBe(open);
        const block = blocks[open!]!;
        if (block['type'] === 'tool_use' && partialJson[open!] !== '') {
          block['input'] = JSON.parse(partialJson[open!]!) as unknown;
        }
        open = undefined;
        break;
      }
      case 'message_delta':
        expect(open).toBeUndefined();
        delta = true;
        message = {
          ...message,
          ...(event['delta'] as Record<string, unknown>),
          usage: { ...(message['usage'] as object), ...(event['usage'] as object) },
        };
        break;
      case 'message_stop':
        expect(delta).toBe(true);
        stopped = true;
        break;
      default:
        throw new Error(`unexpected event ${name}`);
    }
  }
  expect(stopped).toBe(true);
  const assembled = { ...message!, content: blocks };
  checkMessage(assembled);
  return assembled;
}

const FINISH_REASONS = new Set([
  'STOP',
  'MAX_TOKENS',
  'SAFETY',
  'RECITATION',
  'LANGUAGE',
  'OTHER',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'MALFORMED_FUNCTION_CALL',
]);

/** A GenerateContentResponse as Google's API reference describes it; `last` of a stream ends its turn. */
function checkGeminiAnswer(answer: Record<string, unknown>, last: boolean): void {
  const candidates = answer['candidates'] as Record<string, unknown>[];
  expect(Array.isArray(candidates)).toBe(true);
  for (const candidate of candidates) {
    const content = candidate['content'] as { role?: string; parts?: Record<string, unknown>[] } | undefined;
    if (content?.role !== undefined) expect(content.role).toBe('model');
    for (const part of content?.parts ?? []) {
      const kinds = ['text', 'functionCall', 'inlineData', 'thoughtSignature', 'executableCode'].filter(
        (kind) => kind in part,
      );
      expect(kinds.length).toBeGreaterThan(0);
      if (part['functionCall'] !== undefined) {
        const call = part['functionCall'] as Record<string, unknown>;
        expect(typeof call['name']).toBe('string');
        expect(typeof call['args']).toBe('object');
      }
    }
    if (candidate['finishReason'] !== undefined) {
      expect(FINISH_REASONS.has(String(candidate['finishReason']))).toBe(true);
    }
  }
  if (last) expect(FINISH_REASONS.has(String(candidates[0]!['finishReason']))).toBe(true);
  // Absent when the provider reported none (a recorded answer without it).
  const usage = answer['usageMetadata'] as Record<string, unknown> | undefined;
  if (usage !== undefined) {
    for (const count of ['promptTokenCount', 'totalTokenCount'])
      if (count in usage) expect(Number.isInteger(usage[count])).toBe(true);
  }
}

function geminiCalls(answers: Record<string, unknown>[]): ToolCall[] {
  return answers.flatMap((answer) =>
    (
      (
        answer['candidates'] as { content?: { parts?: { functionCall?: { name: string; args: never } }[] } }[]
      )[0]?.content?.parts ?? []
    )
      .filter((part) => part.functionCall !== undefined)
      .map((part) => ({ name: part.functionCall!.name, arguments: part.functionCall!.args })),
  );
}

const README = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');

/** The `smart` group of the README's routing example, as written there. */
function readmeSmartGroup(): { models: string[]; strategy: 'latency' } {
  const routing = README.slice(README.indexOf('## Routing'));
  const block = /```yaml\n([\s\S]*?)```/.exec(routing)![1]!;
  const parsed = parseYaml(block) as { routing: { models: Record<string, unknown> } };
  return parsed.routing.models['smart'] as { models: string[]; strategy: 'latency' };
}

// ---- the gateway and the doors -------------------------------------------------------------------

let openai: FakeUpstream;
let gemini: FakeUpstream;
let anthropic: FakeUpstream;
let gateway: TestApp;

beforeAll(async () => {
  [openai, gemini, anthropic] = await Promise.all([
    startFakeOpenAI(),
    startFakeGemini(),
    startFakeAnthropic(),
  ]);
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${openai.origin}/v1`,
      GEMINI_API_KEY: GEMINI_KEY,
      GEMINI_BASE_URL: gemini.origin,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: anthropic.origin,
      REQUEST_TIMEOUT: '5000',
      CACHE_ENABLED: 'false',
    },
    configure: (config) => {
      const routing = config.gateway.routing;
      routing.retries.maxRetries = 0;
      // The groups that fail over on purpose must not open a circuit for the cells after them.
      routing.circuitBreaker.consecutiveFailures = 1_000_000;
      routing.circuitBreaker.minimumRequests = 1_000_000;
      routing.models = { smart: readmeSmartGroup() };
    },
  });
  await gateway.listen();
});

afterAll(async () => {
  await gateway.close();
  await Promise.all([openai.close(), gemini.close(), anthropic.close()]);
});

afterEach(() => {
  openai.reset();
  gemini.reset();
  anthropic.reset();
});

/** Queues the provider's tool-call answer for the next request of the kind the door sends it. */
function scriptToolCall(door: Door, provider: Provider, stream: boolean): void {
  switch (provider) {
    case 'openai':
      // The fake answers the Responses API with its recorded function calls when the request has tools.
      if (door !== 'responses') {
        openai.enqueue(
          'POST',
          '/v1/chat/completions',
          stream ? streamChat(CHAT_STREAM_TOOL_CALLS) : unaryChat(CHAT_COMPLETION_TOOLS),
        );
      }
      return;
    case 'gemini': {
      const answer = geminiToolAnswer();
      if (stream) {
        gemini.enqueue(
          'POST',
          geminiPath(MODELS.gemini, 'streamGenerateContent'),
          streamGemini(`data: ${JSON.stringify(answer)}\r\n\r\n`),
        );
      } else gemini.enqueue('POST', geminiPath(MODELS.gemini, 'generateContent'), unaryGemini(answer));
      return;
    }
    case 'anthropic':
      anthropic.enqueue(
        'POST',
        MESSAGES_PATH,
        stream
          ? streamAnthropic(anthropicToolStream(), { chunkBytes: 97 })
          : unaryAnthropic(anthropicToolAnswer()),
      );
  }
}

interface DoorClient {
  /** The body the client sends (tools declared when `tools`). */
  body(model: string, stream: boolean, tools: boolean): Record<string, unknown>;
  path(model: string, stream: boolean): string;
  headers: Record<string, string>;
  /** Checks the answer in the door's shape and reads it. */
  read(text: string, stream: boolean): { text: string; calls: ToolCall[] };
}

const PROMPT = 'What is the weather in Paris?';

const CLIENTS: Record<Door, DoorClient> = {
  chat: {
    path: () => '/v1/chat/completions',
    headers: { authorization: `Bearer ${TEST_KEY}` },
    body: (model, stream, tools) => ({
      model,
      messages: [{ role: 'user', content: PROMPT }],
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      ...(tools
        ? { tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_PARAMETERS } }] }
        : {}),
    }),
    read(text, stream) {
      if (!stream) {
        const completion = JSON.parse(text) as Record<string, unknown>;
        assertOpenAISchema('CreateChatCompletionResponse', completion);
        const message = (completion['choices'] as { message: Record<string, unknown> }[])[0]!.message;
        const calls = (message['tool_calls'] ?? []) as { function: { name: string; arguments: string } }[];
        return {
          text: String(message['content'] ?? ''),
          calls: calls.map((call) => ({
            name: call.function.name,
            arguments: JSON.parse(call.function.arguments) as never,
          })),
        };
      }
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      const chunks = sseData(text);
      let content = '';
      const calls: { name: string; arguments: string }[] = [];
      for (const chunk of chunks) {
        assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
        const delta = (chunk['choices'] as { delta: Record<string, unknown> }[])[0]?.delta;
        content += String(delta?.['content'] ?? '');
        for (const call of (delta?.['tool_calls'] ?? []) as {
          index: number;
          function?: { name?: string; arguments?: string };
        }[]) {
          calls[call.index] ??= { name: '', arguments: '' };
          calls[call.index]!.name += call.function?.name ?? '';
          calls[call.index]!.arguments += call.function?.arguments ?? '';
        }
      }
      return {
        text: content,
        calls: calls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) as never })),
      };
    },
  },
  responses: {
    path: () => '/v1/responses',
    headers: { authorization: `Bearer ${TEST_KEY}` },
    body: (model, stream, tools) => ({
      model,
      input: PROMPT,
      store: false,
      ...(stream ? { stream: true } : {}),
      ...(tools
        ? {
            tools: [{ type: 'function', name: 'get_weather', parameters: WEATHER_PARAMETERS, strict: false }],
          }
        : {}),
    }),
    read(text, stream) {
      let response: Record<string, unknown>;
      if (stream) {
        const events = sseData(text);
        events.forEach((event, index) => {
          assertOpenAISchema('ResponseStreamEvent', event);
          expect(event['sequence_number']).toBe(index);
        });
        expect(events[0]!['type']).toBe('response.created');
        const last = events.at(-1)!;
        expect(last['type']).toBe('response.completed');
        response = last['response'] as Record<string, unknown>;
        const deltas = events
          .filter((event) => event['type'] === 'response.output_text.delta')
          .map((event) => String(event['delta']))
          .join('');
        expect(deltas).toBe(responseText(response));
      } else response = JSON.parse(text) as Record<string, unknown>;
      assertOpenAISchema('Response', response);
      expect(response['status']).toBe('completed');
      const calls = (response['output'] as Record<string, string>[])
        .filter((item) => item['type'] === 'function_call')
        .map((item) => ({ name: item['name']!, arguments: JSON.parse(item['arguments']!) as never }));
      return { text: responseText(response), calls };
    },
  },
  messages: {
    path: () => '/v1/messages',
    headers: { 'x-api-key': TEST_KEY, 'anthropic-version': '2023-06-01' },
    body: (model, stream, tools) => ({
      model,
      max_tokens: 1024,
      messages: [{ role: 'user', content: PROMPT }],
      ...(stream ? { stream: true } : {}),
      ...(tools ? { tools: [{ name: 'get_weather', input_schema: WEATHER_PARAMETERS }] } : {}),
    }),
    read(text, stream) {
      let message: Record<string, unknown>;
      if (stream) message = assembleMessageStream(text);
      else {
        message = JSON.parse(text) as Record<string, unknown>;
        checkMessage(message);
      }
      const calls = (message['content'] as Record<string, unknown>[])
        .filter((block) => block['type'] === 'tool_use')
        .map((block) => ({ name: String(block['name']), arguments: block['input'] as never }));
      if (calls.length > 0) expect(message['stop_reason']).toBe('tool_use');
      return { text: messageText(message), calls };
    },
  },
  gemini: {
    path: (model, stream) =>
      stream
        ? `/v1beta/models/${model}:streamGenerateContent?alt=sse`
        : `/v1beta/models/${model}:generateContent`,
    headers: { 'x-goog-api-key': TEST_KEY },
    body: (_model, _stream, tools) => ({
      contents: [{ role: 'user', parts: [{ text: PROMPT }] }],
      ...(tools
        ? {
            tools: [
              { functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: WEATHER_PARAMETERS }] },
            ],
          }
        : {}),
    }),
    read(text, stream) {
      const answers = stream ? sseData(text) : [JSON.parse(text) as Record<string, unknown>];
      expect(answers.length).toBeGreaterThan(0);
      answers.forEach((answer, index) => checkGeminiAnswer(answer, index === answers.length - 1));
      return { text: answers.map((answer) => geminiText(answer)).join(''), calls: geminiCalls(answers) };
    },
  },
};

async function ask(door: Door, provider: Provider, stream: boolean, tools: boolean): Promise<Answer> {
  const client = CLIENTS[door];
  const model = MODELS[provider];
  const body = client.body(model, stream, tools);
  const response = await fetch(`${gateway.url}${client.path(model, stream)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...client.headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get('content-type')).toContain(stream ? 'text/event-stream' : 'application/json');
  if (passesThrough(door, provider)) checkPassedThrough(door, provider, body);
  return { ...client.read(text, stream), provider: response.headers.get('x-gateway-provider') };
}

function upstreamOf(provider: Provider): FakeUpstream {
  return { openai, gemini, anthropic }[provider];
}

/**
 * A passed-through request reaches the provider as the client wrote it, but for the model, named as
 * the provider names it (a dated snapshot), and the stream's usage, which the gateway asks for.
 */
function checkPassedThrough(door: Door, provider: Provider, body: Record<string, unknown>): void {
  const received = upstreamOf(provider).last().json as Record<string, unknown>;
  const { stream_options: _options, model, ...sent } = received;
  const { stream_options: _clientOptions, model: _clientModel, ...expected } = body;
  expect(sent, `${door} → ${provider}`).toEqual(expected);
  if (body['model'] !== undefined) expect(String(model)).toContain(String(body['model']));
}

describe.each(DOORS)('the %s door', (door) => {
  describe.each(PROVIDERS)('reaching %s', (provider) => {
    it.each(MODES)('%s', async (mode) => {
      const stream = mode === 'streamed' || mode === 'streamed tool call';
      const tools = mode === 'tool call' || mode === 'streamed tool call';
      if (tools) scriptToolCall(door, provider, stream);
      const answer = await ask(door, provider, stream, tools);
      expect(answer.provider).toBe(provider);
      expect(upstreamOf(provider).requests).toHaveLength(1);
      if (tools) expect(answer.calls).toEqual(expectedCalls(door, provider));
      else {
        expect(answer.calls).toEqual([]);
        expect(answer.text.length).toBeGreaterThan(0);
        expect(answer.text).toBe(expectedText(door, provider, stream));
      }
    });
  });
});

describe('the README', () => {
  it('has the table of the matrix this file tests', () => {
    const start = README.indexOf('| Inbound API');
    expect(start).toBeGreaterThan(-1);
    const rows = README.slice(start)
      .split('\n')
      .filter((line, index, lines) => lines.slice(0, index + 1).every((each) => each.startsWith('|')))
      .filter((line) => !/^\|\s*-/.test(line))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    expect(rows).toEqual(renderMatrixTable());
  });
});

describe("the README's smart group, across OpenAI, Gemini and Claude", () => {
  const unavailable: Record<Provider, (door: Door) => void> = {
    openai: (door) =>
      openai.enqueue('POST', door === 'responses' ? '/v1/responses' : '/v1/chat/completions', {
        status: 503,
        json: { error: { message: 'The server is overloaded.', type: 'server_error', code: null } },
      }),
    gemini: () =>
      gemini.enqueue('POST', geminiPath('gemini-2.5-pro', 'generateContent'), {
        status: 503,
        json: { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } },
      } satisfies ScriptedResponse),
    anthropic: () =>
      anthropic.enqueue('POST', MESSAGES_PATH, {
        status: 529,
        json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      }),
  };

  it('names a model of each provider', () => {
    expect(readmeSmartGroup().models).toEqual(['gpt-4o', 'gemini-2.5-pro', 'claude-sonnet-4-5']);
  });

  it.each(PROVIDERS)(
    'is answered by %s when the two others are unavailable, by every door',
    async (healthy) => {
      gemini.route('POST', geminiPath('gemini-2.5-pro', 'generateContent'), () =>
        unaryGemini(geminiFixture(GEMINI_UNARY)),
      );
      for (const door of DOORS) {
        for (const provider of PROVIDERS) if (provider !== healthy) unavailable[provider](door);
        const client = CLIENTS[door];
        const response = await fetch(`${gateway.url}${client.path('smart', false)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...client.headers },
          body: JSON.stringify(client.body('smart', false, false)),
        });
        const text = await response.text();
        expect(response.status, `${door}: ${text}`).toBe(200);
        expect(response.headers.get('x-gateway-provider')).toBe(healthy);
        expect(client.read(text, false).text.length).toBeGreaterThan(0);
        openai.reset();
        gemini.reset();
        anthropic.reset();
      }
    },
  );
});
