/**
 * The benchmark's workloads: for each, the request the load generator sends to each target. The
 * gateway is always spoken to in the OpenAI shape; "direct" and the floor proxy get what the
 * upstream itself takes (so for Gemini and Anthropic their own raw requests, and the floor's CPU is
 * the cost of moving those bytes).
 *
 * Every request differs from the last (a counter in the prompt) so the gateway's cache misses,
 * except in the cache-hit workload, which sends one body over and over.
 */
import type { WorkloadId } from './arguments.js';
import { STREAM_EVENTS } from './upstream-bodies.js';

export type TargetKind = 'direct' | 'floor' | 'gateway';
export const TARGET_KINDS: readonly TargetKind[] = ['direct', 'floor', 'gateway'];

export interface BenchKeys {
  /** The client key the gateway accepts (GATEWAY_API_KEYS). */
  gateway: string;
  /** The keys the fake upstream is sent (it does not check them). */
  upstreamOpenAI: string;
  upstreamGemini: string;
  upstreamAnthropic: string;
}

export interface RequestTemplate {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  /** The body of request number `counter`. */
  body(counter: number): string;
  /** Whether bodies differ by counter (false: every request is the same, for cache hits). */
  varies: boolean;
}

/** What a correct answer looks like; a reason when it is not. */
export type AnswerCheck = (answer: { status: number; headers: Headers; text: string }) => string | null;

export interface Workload {
  id: WorkloadId;
  title: string;
  stream: boolean;
  request(target: TargetKind, keys: BenchKeys): RequestTemplate;
  check(target: TargetKind): AnswerCheck;
}

const COUNTER = '{{counter}}';
const SYSTEM_PROMPT = 'You are a concise assistant for platform engineers.';
const USER_PROMPT = `Request ${COUNTER}: summarise the benefits of connection pooling in two sentences.`;

/** A body builder that splices the counter into a JSON text made once. */
function bodyWithCounter(value: unknown): (counter: number) => string {
  const [before, after] = JSON.stringify(value).split(COUNTER) as [string, string | undefined];
  if (after === undefined) return () => before;
  return (counter) => before + counter + after;
}

function chatRequest(model: string, stream: boolean): Record<string, unknown> {
  return {
    model,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: USER_PROMPT },
    ],
    temperature: 0.7,
    max_tokens: 256,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

/** The same request as Gemini takes it. @see https://ai.google.dev/api/generate-content */
function geminiRequest(): Record<string, unknown> {
  return {
    contents: [{ role: 'user', parts: [{ text: USER_PROMPT }] }],
    systemInstruction: { parts: [{ text: SYSTEM_PROMPT }] },
    generationConfig: { temperature: 0.7, maxOutputTokens: 256 },
  };
}

const OPENAI_CHAT_MODEL = 'gpt-4o-mini';
/** Models outside the catalog that make the fake upstream stream in one write, or paced (fake-upstream.ts). */
const BURST_MODEL = 'bench-burst';
const PACED_MODEL = 'bench-paced';
const GEMINI_CHAT_MODEL = 'gemini-2.5-flash';
const EMBEDDINGS_MODEL = 'text-embedding-3-small';

const ANTHROPIC_CHAT_MODEL = 'claude-sonnet-4-5';
const ANTHROPIC_UPSTREAM_MODEL = 'claude-sonnet-4-5-20250929';

/** The same request as Anthropic's Messages API takes it. @see https://docs.anthropic.com/en/api/messages */
function anthropicRequest(stream: boolean): Record<string, unknown> {
  return {
    model: ANTHROPIC_UPSTREAM_MODEL,
    system: SYSTEM_PROMPT,
    messages: [{ role: 'user', content: USER_PROMPT }],
    temperature: 0.7,
    max_tokens: 256,
    ...(stream ? { stream: true } : {}),
  };
}

function jsonHeaders(authorization: Record<string, string>): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json', ...authorization };
}

function gatewayHeaders(keys: BenchKeys): Record<string, string> {
  return jsonHeaders({ authorization: `Bearer ${keys.gateway}` });
}

function openaiUpstreamHeaders(keys: BenchKeys): Record<string, string> {
  return jsonHeaders({ authorization: `Bearer ${keys.upstreamOpenAI}` });
}

function template(
  path: string,
  headers: Record<string, string>,
  body: unknown,
  varies = true,
): RequestTemplate {
  const build = bodyWithCounter(body);
  return { method: 'POST', path, headers, body: varies ? build : () => build(0), varies };
}

const ok: AnswerCheck = ({ status, text }) =>
  status === 200 ? null : `status ${status}: ${text.slice(0, 300)}`;

function anthropicUpstreamHeaders(keys: BenchKeys): Record<string, string> {
  return jsonHeaders({ 'x-api-key': keys.upstreamAnthropic, 'anthropic-version': '2023-06-01' });
}

/** The gateway's Anthropic door, called as Anthropic's SDKs call it (x-api-key, anthropic-version). */
function anthropicDoorHeaders(keys: BenchKeys): Record<string, string> {
  return jsonHeaders({ 'x-api-key': keys.gateway, 'anthropic-version': '2023-06-01' });
}

/**
 * The Anthropic door's workload: the gateway gets a Messages request for a model OpenAI serves (so it
 * translates both ways), direct and the floor the same request as Anthropic itself takes it.
 */
function anthropicDoorRequest(stream: boolean) {
  return (target: TargetKind, keys: BenchKeys): RequestTemplate =>
    target === 'gateway'
      ? template('/v1/messages', anthropicDoorHeaders(keys), {
          ...anthropicRequest(stream),
          model: OPENAI_CHAT_MODEL,
        })
      : template('/v1/messages', anthropicUpstreamHeaders(keys), anthropicRequest(stream));
}

/** The gateway's Gemini door, called as Google's SDKs call it (x-goog-api-key). */
function geminiDoorHeaders(keys: BenchKeys): Record<string, string> {
  return jsonHeaders({ 'x-goog-api-key': keys.gateway });
}

function geminiMethod(stream: boolean): string {
  return stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
}

/** Gemini's own request, as direct and the floor send it to the fake upstream. */
function geminiUpstreamRequest(stream: boolean, keys: BenchKeys): RequestTemplate {
  const headers = jsonHeaders({ 'x-goog-api-key': keys.upstreamGemini });
  return template(`/v1beta/models/${GEMINI_CHAT_MODEL}:${geminiMethod(stream)}`, headers, geminiRequest());
}

/**
 * The Gemini door's workload: the gateway gets a generateContent request for a model OpenAI serves
 * (so it translates both ways), direct and the floor the same request as Gemini itself takes it.
 */
function geminiDoorRequest(stream: boolean) {
  return (target: TargetKind, keys: BenchKeys): RequestTemplate => {
    if (target !== 'gateway') return geminiUpstreamRequest(stream, keys);
    const path = `/v1beta/models/${OPENAI_CHAT_MODEL}:${geminiMethod(stream)}`;
    return template(path, geminiDoorHeaders(keys), geminiRequest());
  };
}

/** A Gemini answer from any target: candidates with text. */
const geminiAnswerCheck: AnswerCheck = (answer) => {
  const failed = ok(answer);
  if (failed) return failed;
  const parsed = JSON.parse(answer.text) as { candidates?: unknown[] };
  return Array.isArray(parsed.candidates) ? null : 'no candidates in the Gemini answer';
};

/**
 * A Gemini event stream: every event a `data:` line holding candidates, the last one finished and
 * with usage; from direct and the floor exactly the fake's events (the gateway's may be framed in
 * another number).
 */
function geminiStreamCheck(target: TargetKind): AnswerCheck {
  return (answer) => {
    const failed = ok(answer);
    if (failed) return failed;
    const events = answer.text.split(/\r?\n\r?\n/).filter((event) => event.startsWith('data: '));
    if (target !== 'gateway' && events.length !== STREAM_EVENTS) {
      return `${events.length} events, not ${STREAM_EVENTS}`;
    }
    const chunks = events.map((event) => JSON.parse(event.slice(6)) as Record<string, unknown>);
    if (!chunks.every((chunk) => Array.isArray(chunk['candidates']))) return 'an event has no candidates';
    const last = chunks.at(-1) as { candidates?: { finishReason?: string }[]; usageMetadata?: unknown };
    if (!last?.candidates?.[0]?.finishReason) return 'the last event has no finishReason';
    return last.usageMetadata ? null : 'the last event has no usageMetadata';
  };
}

/**
 * The Responses API translated: the gateway gets `/v1/responses` for a Claude model (Responses to
 * chat to Anthropic, and back), direct and the floor the Messages request Anthropic itself takes.
 */
function responsesRequest(stream: boolean) {
  return (target: TargetKind, keys: BenchKeys): RequestTemplate =>
    target === 'gateway'
      ? template('/v1/responses', gatewayHeaders(keys), {
          model: ANTHROPIC_CHAT_MODEL,
          instructions: SYSTEM_PROMPT,
          input: USER_PROMPT,
          temperature: 0.7,
          max_output_tokens: 256,
          store: false,
          ...(stream ? { stream: true } : {}),
        })
      : template('/v1/messages', anthropicUpstreamHeaders(keys), anthropicRequest(stream));
}

/** A completed `response` object from the gateway, an Anthropic message from direct and the floor. */
function responsesUnaryCheck(target: TargetKind): AnswerCheck {
  if (target !== 'gateway') return anthropicMessageCheck;
  return (answer) => {
    const failed = ok(answer);
    if (failed) return failed;
    const parsed = JSON.parse(answer.text) as Record<string, unknown>;
    if (parsed['object'] !== 'response') return `object is ${String(parsed['object'])}`;
    return parsed['status'] === 'completed' ? null : `status is ${String(parsed['status'])}`;
  };
}

/** The Responses API's typed events from the gateway, ending with response.completed. */
function responsesStreamCheck(target: TargetKind): AnswerCheck {
  if (target !== 'gateway') return anthropicStreamCheck(target);
  return (answer) => {
    const failed = ok(answer);
    if (failed) return failed;
    const named = answer.text.split('\n\n').filter((event) => event.startsWith('event: '));
    return named.at(-1)?.startsWith('event: response.completed')
      ? null
      : 'the stream does not end with response.completed';
  };
}

/** An Anthropic message from any target. */
const anthropicMessageCheck: AnswerCheck = (answer) => {
  const failed = ok(answer);
  if (failed) return failed;
  const parsed = JSON.parse(answer.text) as Record<string, unknown>;
  return parsed['type'] === 'message' ? null : `type is ${String(parsed['type'])}`;
};

/**
 * An Anthropic event stream ending with message_stop; from direct and the floor exactly the fake's
 * events (the gateway's translation may frame the same answer in another number of events).
 */
function anthropicStreamCheck(target: TargetKind): AnswerCheck {
  return (answer) => {
    const failed = ok(answer);
    if (failed) return failed;
    const named = answer.text.split('\n\n').filter((event) => event.startsWith('event: '));
    if (target !== 'gateway' && named.length !== STREAM_EVENTS) {
      return `${named.length} events, not ${STREAM_EVENTS}`;
    }
    return named.at(-1)?.startsWith('event: message_stop')
      ? null
      : 'the stream does not end with message_stop';
  };
}

function unaryChatCheck(target: TargetKind, raw: 'chat' | 'gemini' | 'anthropic'): AnswerCheck {
  return (answer) => {
    const failed = ok(answer);
    if (failed) return failed;
    const parsed = JSON.parse(answer.text) as Record<string, unknown>;
    if (target !== 'gateway' && raw === 'gemini') {
      return Array.isArray(parsed['candidates']) ? null : 'no candidates in the Gemini answer';
    }
    if (target !== 'gateway' && raw === 'anthropic') {
      return parsed['type'] === 'message' ? null : `type is ${String(parsed['type'])}`;
    }
    return parsed['object'] === 'chat.completion' ? null : `object is ${String(parsed['object'])}`;
  };
}

function streamCheck(target: TargetKind, raw: 'chat' | 'gemini' | 'anthropic'): AnswerCheck {
  return (answer) => {
    const failed = ok(answer);
    if (failed) return failed;
    if (target !== 'gateway' && raw === 'anthropic') {
      const named = answer.text.split('\n\n').filter((event) => event.startsWith('event: '));
      if (named.length !== STREAM_EVENTS) return `${named.length} events, not ${STREAM_EVENTS}`;
      return named.at(-1)!.startsWith('event: message_stop')
        ? null
        : 'the stream does not end with message_stop';
    }
    const events = answer.text.split(/\r?\n\r?\n/).filter((event) => event.startsWith('data: '));
    if (target !== 'gateway' && raw === 'gemini') {
      return events.length === STREAM_EVENTS ? null : `${events.length} events, not ${STREAM_EVENTS}`;
    }
    if (events.at(-1) !== 'data: [DONE]') return 'the stream does not end with data: [DONE]';
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice(6)) as Record<string, unknown>);
    if (!chunks.every((chunk) => chunk['object'] === 'chat.completion.chunk'))
      return 'a chunk is not a chunk';
    return chunks.some((chunk) => chunk['usage']) ? null : 'no usage chunk (stream_options.include_usage)';
  };
}

export const WORKLOADS: Record<WorkloadId, Workload> = {
  'openai-unary': {
    id: 'openai-unary',
    title: 'Chat, unary, OpenAI',
    stream: false,
    request: (target, keys) =>
      target === 'gateway'
        ? template('/v1/chat/completions', gatewayHeaders(keys), chatRequest(OPENAI_CHAT_MODEL, false))
        : template(
            '/v1/chat/completions',
            openaiUpstreamHeaders(keys),
            chatRequest(OPENAI_CHAT_MODEL, false),
          ),
    check: (target) => unaryChatCheck(target, 'chat'),
  },
  'openai-stream': {
    id: 'openai-stream',
    title: `Chat, streamed (${STREAM_EVENTS} chunks), OpenAI`,
    stream: true,
    request: (target, keys) =>
      template(
        '/v1/chat/completions',
        target === 'gateway' ? gatewayHeaders(keys) : openaiUpstreamHeaders(keys),
        chatRequest(OPENAI_CHAT_MODEL, true),
      ),
    check: (target) => streamCheck(target, 'chat'),
  },
  'openai-stream-burst': {
    id: 'openai-stream-burst',
    title: `Chat, streamed (${STREAM_EVENTS} chunks arriving in one read), OpenAI`,
    stream: true,
    request: (target, keys) =>
      target === 'gateway'
        ? template('/v1/chat/completions', gatewayHeaders(keys), chatRequest(`openai/${BURST_MODEL}`, true))
        : template('/v1/chat/completions', openaiUpstreamHeaders(keys), chatRequest(BURST_MODEL, true)),
    check: (target) => streamCheck(target, 'chat'),
  },
  'openai-stream-paced': {
    id: 'openai-stream-paced',
    title: `Chat, streamed (${STREAM_EVENTS} chunks 2 ms apart), OpenAI`,
    stream: true,
    request: (target, keys) =>
      target === 'gateway'
        ? template('/v1/chat/completions', gatewayHeaders(keys), chatRequest(`openai/${PACED_MODEL}`, true))
        : template('/v1/chat/completions', openaiUpstreamHeaders(keys), chatRequest(PACED_MODEL, true)),
    check: (target) => streamCheck(target, 'chat'),
  },
  'gemini-unary': {
    id: 'gemini-unary',
    title: 'Chat, unary, Gemini (translated)',
    stream: false,
    request: (target, keys) =>
      target === 'gateway'
        ? template('/v1/chat/completions', gatewayHeaders(keys), chatRequest(GEMINI_CHAT_MODEL, false))
        : geminiUpstreamRequest(false, keys),
    check: (target) => unaryChatCheck(target, 'gemini'),
  },
  'gemini-stream': {
    id: 'gemini-stream',
    title: `Chat, streamed (${STREAM_EVENTS} chunks), Gemini (translated)`,
    stream: true,
    request: (target, keys) =>
      target === 'gateway'
        ? template('/v1/chat/completions', gatewayHeaders(keys), chatRequest(GEMINI_CHAT_MODEL, true))
        : geminiUpstreamRequest(true, keys),
    check: (target) => streamCheck(target, 'gemini'),
  },
  'anthropic-unary': {
    id: 'anthropic-unary',
    title: 'Chat, unary, Anthropic (translated)',
    stream: false,
    request: (target, keys) =>
      target === 'gateway'
        ? template('/v1/chat/completions', gatewayHeaders(keys), chatRequest(ANTHROPIC_CHAT_MODEL, false))
        : template('/v1/messages', anthropicUpstreamHeaders(keys), anthropicRequest(false)),
    check: (target) => unaryChatCheck(target, 'anthropic'),
  },
  'anthropic-stream': {
    id: 'anthropic-stream',
    title: `Chat, streamed (${STREAM_EVENTS} events), Anthropic (translated)`,
    stream: true,
    request: (target, keys) =>
      target === 'gateway'
        ? template('/v1/chat/completions', gatewayHeaders(keys), chatRequest(ANTHROPIC_CHAT_MODEL, true))
        : template('/v1/messages', anthropicUpstreamHeaders(keys), anthropicRequest(true)),
    check: (target) => streamCheck(target, 'anthropic'),
  },
  'anthropic-door-unary': {
    id: 'anthropic-door-unary',
    title: 'Messages in (the Anthropic API), unary, served by OpenAI (translated both ways)',
    stream: false,
    request: anthropicDoorRequest(false),
    check: () => anthropicMessageCheck,
  },
  'anthropic-door-stream': {
    id: 'anthropic-door-stream',
    title: `Messages in (the Anthropic API), streamed (${STREAM_EVENTS} chunks), served by OpenAI (translated both ways)`,
    stream: true,
    request: anthropicDoorRequest(true),
    check: anthropicStreamCheck,
  },
  'gemini-door-unary': {
    id: 'gemini-door-unary',
    title: 'generateContent in (the Gemini API), unary, served by OpenAI (translated both ways)',
    stream: false,
    request: geminiDoorRequest(false),
    check: () => geminiAnswerCheck,
  },
  'gemini-door-stream': {
    id: 'gemini-door-stream',
    title: `streamGenerateContent in (the Gemini API), streamed (${STREAM_EVENTS} chunks), served by OpenAI (translated both ways)`,
    stream: true,
    request: geminiDoorRequest(true),
    check: geminiStreamCheck,
  },
  'responses-unary': {
    id: 'responses-unary',
    title: 'Responses API, unary, served by Anthropic (translated both ways)',
    stream: false,
    request: responsesRequest(false),
    check: responsesUnaryCheck,
  },
  'responses-stream': {
    id: 'responses-stream',
    title: `Responses API, streamed (${STREAM_EVENTS} events), served by Anthropic (translated both ways)`,
    stream: true,
    request: responsesRequest(true),
    check: responsesStreamCheck,
  },
  embeddings: {
    id: 'embeddings',
    title: 'Embeddings, OpenAI (base64, 1536 dimensions)',
    stream: false,
    request: (target, keys) =>
      template('/v1/embeddings', target === 'gateway' ? gatewayHeaders(keys) : openaiUpstreamHeaders(keys), {
        model: EMBEDDINGS_MODEL,
        input: `Request ${COUNTER}: connection pooling keeps connections open for reuse.`,
        encoding_format: 'base64',
      }),
    check: () => (answer) => {
      const failed = ok(answer);
      if (failed) return failed;
      const parsed = JSON.parse(answer.text) as { object?: string; data?: { embedding?: unknown }[] };
      return parsed.object === 'list' && typeof parsed.data?.[0]?.embedding === 'string'
        ? null
        : 'not a list of base64 embeddings';
    },
  },
  'cache-hit': {
    id: 'cache-hit',
    title: 'Chat, unary, answered from the cache (direct and floor: the upstream answers)',
    stream: false,
    request: (target, keys) =>
      template(
        '/v1/chat/completions',
        target === 'gateway' ? gatewayHeaders(keys) : openaiUpstreamHeaders(keys),
        chatRequest(OPENAI_CHAT_MODEL, false),
        false,
      ),
    check: (target) => (answer) => {
      const failed = unaryChatCheck(target, 'chat')(answer);
      if (failed || target !== 'gateway') return failed;
      return answer.headers.get('x-cache') === 'HIT' ? null : `x-cache is ${answer.headers.get('x-cache')}`;
    },
  },
};
