/**
 * The fixed answers of the benchmark's fake upstream, built once at start in the form each API sends
 * them: OpenAI's unary JSON is indented, its stream events are compact `data:` lines separated by a
 * blank line and closed by `data: [DONE]`; Gemini's unary JSON is indented, its `alt=sse` events are
 * compact and separated by CRLF pairs, each carrying the running usage; Anthropic's unary JSON is
 * compact, its events are named (`event:` then `data:`), a text block's deltas between
 * `message_start` and `message_delta` with the usage.
 * @see https://platform.openai.com/docs/api-reference/chat/object
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 * @see https://ai.google.dev/api/generate-content#generatecontentresponse
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */

/** Events in each streamed answer (the usage event included): the benchmark's "20 chunks". */
export const STREAM_EVENTS = 20;

/** Dimensions of the embedding vector: text-embedding-3-small's default. */
export const EMBEDDING_DIMENSIONS = 1536;

const ANSWER =
  'Connection pooling keeps a small set of open connections ready for reuse, so each request skips the ' +
  'TCP and TLS handshakes and the server sees steady, bounded concurrency. The result is lower latency, ' +
  'fewer resources per request and protection against connection storms when traffic spikes.';

/** The answer cut into exactly `count` pieces of whole words, as a model streams it. */
function answerPieces(count: number): string[] {
  const words = ANSWER.split(' ');
  const pieces: string[] = [];
  for (let index = 0; index < count; index++) {
    const from = Math.floor((index * words.length) / count);
    const to = Math.floor(((index + 1) * words.length) / count);
    const text = words.slice(from, to).join(' ');
    pieces.push(index === 0 ? text : ` ${text}`);
  }
  return pieces;
}

const USAGE = {
  prompt_tokens: 31,
  completion_tokens: 52,
  total_tokens: 83,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};

export function buildOpenAIChatCompletion(): string {
  return JSON.stringify(
    {
      id: 'chatcmpl-BnCh7mArKq1sXw9ZfPq2Lr8Tt4Yv',
      object: 'chat.completion',
      created: 1762560414,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: ANSWER, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: USAGE,
      service_tier: 'default',
      system_fingerprint: 'fp_560af6e559',
    },
    null,
    2,
  );
}

/** Role chunk, content chunks, the finish chunk and the usage chunk: STREAM_EVENTS in all. */
export function buildOpenAIChatStream(): string[] {
  const head = {
    id: 'chatcmpl-BnCi3kWq8ZsTr2Yu5Io0Pa7Sd',
    object: 'chat.completion.chunk',
    created: 1762560502,
    model: 'gpt-4o-mini-2024-07-18',
    service_tier: 'default',
    system_fingerprint: 'fp_560af6e559',
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    JSON.stringify({
      ...head,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      usage: null,
    });
  const events = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
  for (const piece of answerPieces(STREAM_EVENTS - 3)) events.push(chunk({ content: piece }, null));
  events.push(chunk({}, 'stop'));
  events.push(JSON.stringify({ ...head, choices: [], usage: USAGE }));
  return [...events.map((event) => `data: ${event}\n\n`), 'data: [DONE]\n\n'];
}

const GEMINI_USAGE = {
  promptTokenCount: 31,
  candidatesTokenCount: 52,
  totalTokenCount: 83,
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 31 }],
};

export function buildGeminiGenerateContent(): string {
  return JSON.stringify(
    {
      candidates: [
        {
          content: { parts: [{ text: ANSWER }], role: 'model' },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: GEMINI_USAGE,
      modelVersion: 'gemini-2.5-flash',
      responseId: 'q3kFaYbXKoO9nvgP5fC1sQk',
    },
    null,
    2,
  );
}

export function buildGeminiStream(): string[] {
  const pieces = answerPieces(STREAM_EVENTS);
  return pieces.map((text, index) => {
    const last = index === pieces.length - 1;
    const candidate: Record<string, unknown> = { content: { parts: [{ text }], role: 'model' } };
    if (last) candidate['finishReason'] = 'STOP';
    candidate['index'] = 0;
    const usage = last
      ? GEMINI_USAGE
      : { promptTokenCount: GEMINI_USAGE.promptTokenCount, totalTokenCount: GEMINI_USAGE.promptTokenCount };
    const event = JSON.stringify({
      candidates: [candidate],
      usageMetadata: usage,
      modelVersion: 'gemini-2.5-flash',
      responseId: 'q3kFaYbXKoO9nvgP5fC1sQk',
    });
    return `data: ${event}\r\n\r\n`;
  });
}

const ANTHROPIC_MESSAGE = {
  id: 'msg_01Bench7mArKq1sXw9ZfPq2L',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
};

const ANTHROPIC_USAGE = {
  input_tokens: 31,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: 52,
  service_tier: 'standard',
};

export function buildAnthropicMessage(): string {
  return JSON.stringify({
    ...ANTHROPIC_MESSAGE,
    content: [{ type: 'text', text: ANSWER }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: ANTHROPIC_USAGE,
  });
}

/** `STREAM_EVENTS` events: the message, the block's start, its deltas, its stop, the usage, the end. */
export function buildAnthropicStream(): string[] {
  const events: Record<string, unknown>[] = [
    {
      type: 'message_start',
      message: {
        ...ANTHROPIC_MESSAGE,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...ANTHROPIC_USAGE, output_tokens: 1 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ...answerPieces(STREAM_EVENTS - 5).map((text) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text },
    })),
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: ANTHROPIC_USAGE.output_tokens },
    },
    { type: 'message_stop' },
  ];
  return events.map((event) => `event: ${String(event['type'])}\ndata: ${JSON.stringify(event)}\n\n`);
}

/** A deterministic vector, as the API's default base64 of little-endian float32 (the SDKs ask for it). */
export function buildOpenAIEmbeddings(): string {
  const vector = new Float32Array(EMBEDDING_DIMENSIONS);
  for (let index = 0; index < vector.length; index++) vector[index] = Math.sin(index * 0.37) * 0.05;
  return JSON.stringify(
    {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: Buffer.from(vector.buffer).toString('base64') }],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 14, total_tokens: 14 },
    },
    null,
    2,
  );
}
