/**
 * What a model-call span says of the request and the answer, read from them in the shapes of the
 * APIs the gateway serves (OpenAI chat and Responses, Anthropic Messages, Gemini): the request's
 * parameters, the answer's id and finish reasons and, only when content capture is on, the
 * messages. Read only for spans that are recorded.
 * @see https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/
 */
import type { Attributes } from '@opentelemetry/api';

/** Longest prompt or completion text put on a span; the rest is cut. */
const CONTENT_LIMIT = 32 * 1024;
/** Largest answer body read for its id and finish reasons. */
const ANSWER_READ_LIMIT = 1024 * 1024;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Request field → attribute, for the numbers the conventions name. */
const NUMBER_PARAMETERS: readonly (readonly [string, string])[] = [
  ['max_tokens', 'gen_ai.request.max_tokens'],
  ['max_completion_tokens', 'gen_ai.request.max_tokens'],
  ['max_output_tokens', 'gen_ai.request.max_tokens'],
  ['maxOutputTokens', 'gen_ai.request.max_tokens'],
  ['temperature', 'gen_ai.request.temperature'],
  ['top_p', 'gen_ai.request.top_p'],
  ['topP', 'gen_ai.request.top_p'],
  ['top_k', 'gen_ai.request.top_k'],
  ['topK', 'gen_ai.request.top_k'],
  ['frequency_penalty', 'gen_ai.request.frequency_penalty'],
  ['frequencyPenalty', 'gen_ai.request.frequency_penalty'],
  ['presence_penalty', 'gen_ai.request.presence_penalty'],
  ['presencePenalty', 'gen_ai.request.presence_penalty'],
  ['seed', 'gen_ai.request.seed'],
  ['n', 'gen_ai.request.choice.count'],
  ['candidateCount', 'gen_ai.request.choice.count'],
];

const STOP_FIELDS = ['stop', 'stop_sequences', 'stopSequences'];

function addParameters(source: Json, attributes: Attributes): void {
  for (const [field, attribute] of NUMBER_PARAMETERS) {
    const value = source[field];
    if (typeof value === 'number') attributes[attribute] = value;
  }
  for (const field of STOP_FIELDS) {
    const value = source[field];
    if (typeof value === 'string') attributes['gen_ai.request.stop_sequences'] = [value];
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
      attributes['gen_ai.request.stop_sequences'] = value as string[];
  }
  if (typeof source['encoding_format'] === 'string')
    attributes['gen_ai.request.encoding_formats'] = [source['encoding_format']];
}

/** The sampling parameters a request names (`gen_ai.request.*`). */
export function readRequestParameters(body: unknown): Attributes {
  const attributes: Attributes = {};
  if (!isObject(body)) return attributes;
  addParameters(body, attributes);
  // Gemini's requests keep them in generationConfig.
  if (isObject(body['generationConfig'])) addParameters(body['generationConfig'], attributes);
  return attributes;
}

function cut(text: string): string {
  return text.length > CONTENT_LIMIT ? text.slice(0, CONTENT_LIMIT) : text;
}

/** The prompt's messages as JSON text (`gen_ai.input.messages`), for content capture only. */
export function readInputMessages(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const messages = body['messages'] ?? body['input'] ?? body['contents'] ?? body['prompt'];
  return messages === undefined ? undefined : cut(JSON.stringify(messages));
}

export interface AnswerReading {
  id: string | undefined;
  finishReasons: string[];
  /** The answer's messages as JSON text, when content capture is on. */
  output: string | undefined;
}

function finishReasonsOf(answer: Json): string[] {
  const reasons: string[] = [];
  const choices = answer['choices'] ?? answer['candidates'];
  if (Array.isArray(choices)) {
    for (const choice of choices) {
      if (!isObject(choice)) continue;
      const reason = choice['finish_reason'] ?? choice['finishReason'];
      if (typeof reason === 'string') reasons.push(reason);
    }
  }
  const stopReason =
    answer['stop_reason'] ?? (answer['object'] === 'response' ? answer['status'] : undefined);
  if (typeof stopReason === 'string') reasons.push(stopReason);
  return reasons;
}

function outputOf(answer: Json): string | undefined {
  const choices = answer['choices'];
  const output = Array.isArray(choices)
    ? choices.map((choice: unknown) => (isObject(choice) ? (choice['message'] ?? choice['text']) : choice))
    : Array.isArray(answer['candidates'])
      ? answer['candidates'].map((candidate: unknown) =>
          isObject(candidate) ? candidate['content'] : candidate,
        )
      : (answer['content'] ?? answer['output']);
  return output === undefined ? undefined : cut(JSON.stringify(output));
}

/**
 * What an attempt's answer says of itself: a unary JSON answer is read for its id and finish
 * reasons; a stream, whose finish comes last, for the id of its first event.
 */
export function readAnswer(value: unknown, captureContent: boolean): AnswerReading {
  const reading: AnswerReading = { id: undefined, finishReasons: [], output: undefined };
  // The call runner's attempts answer `{ value, warnings }`.
  const answer = isObject(value) && 'warnings' in value && 'value' in value ? value['value'] : value;
  if (!isObject(answer)) return reading;
  const first = answer['first'];
  if (isObject(first)) {
    const event = first['value'];
    const chunk = isObject(event) && 'chunk' in event ? event['chunk'] : undefined;
    if (isObject(chunk) && typeof chunk['id'] === 'string') reading.id = chunk['id'];
    return reading;
  }
  const body = answer['body'];
  const contentType = answer['contentType'];
  if (typeof contentType !== 'string' || !contentType.includes('json')) return reading;
  if (!(typeof body === 'string' || Buffer.isBuffer(body)) || body.length > ANSWER_READ_LIMIT) return reading;
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return reading;
  }
  if (!isObject(parsed)) return reading;
  const id = parsed['id'] ?? parsed['responseId'];
  if (typeof id === 'string') reading.id = id;
  reading.finishReasons = finishReasonsOf(parsed);
  if (captureContent) reading.output = outputOf(parsed);
  return reading;
}
