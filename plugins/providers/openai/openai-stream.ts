/**
 * An OpenAI chat stream → typed chunks. Each event's JSON text is kept (`raw`) so the client gets the
 * upstream's bytes unchanged; `[DONE]` ends the iteration (the gateway writes its own).
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 */
import type { Dispatcher } from 'undici';
import type { ChatCompletionChunk } from '../../../schemas/chat.js';
import type { StreamEvent } from '../../../src/provider.js';
import { parseServerSentEvents } from '../../../src/sse.js';
import { UpstreamFailure, destroyBody, scrubSecrets, toUpstreamFailure } from '../../../src/upstream.js';
import type { OpenAIErrorWire } from './openai-api.js';

export async function* readOpenAIStream(
  response: Dispatcher.ResponseData,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): AsyncGenerator<StreamEvent, void, undefined> {
  let finished = false;
  try {
    // Not destroyed when we stop reading at [DONE]: the rest is drained so the connection is reused.
    const source = response.body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
    for await (const event of parseServerSentEvents(source)) {
      const data = event.data;
      if (data === '[DONE]') {
        finished = true;
        return;
      }
      let parsed: ChatCompletionChunk & OpenAIErrorWire;
      try {
        parsed = JSON.parse(data) as ChatCompletionChunk & OpenAIErrorWire;
      } catch {
        throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
          message: `The provider ${provider} sent a stream event that is not JSON.`,
        });
      }
      if (parsed.error || event.event === 'error') {
        throw new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', 'mid_stream', {
          message: scrubSecrets(
            parsed.error?.message ?? `The provider ${provider} reported an error mid-stream.`,
            secrets,
          ),
          code: parsed.error?.code == null ? null : String(parsed.error.code),
        });
      }
      yield { chunk: parsed, raw: data };
    }
  } catch (error) {
    throw toUpstreamFailure(error, signal, provider);
  } finally {
    if (finished) response.body.resume().on('error', () => {});
    else destroyBody(response);
  }
  throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
    message: `The provider ${provider} ended the stream without [DONE].`,
  });
}
