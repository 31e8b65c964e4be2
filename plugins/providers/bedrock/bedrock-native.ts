/**
 * Anthropic's Messages API on Bedrock: Claude models take the Messages API's body through
 * InvokeModel (`/model/{modelId}/invoke`, and `/invoke-with-response-stream` for a stream), with the
 * model in the path rather than the body, the API version in the body (`bedrock-2023-05-31`) and the
 * betas in the body (`anthropic_beta`); the answer is Anthropic's message, and a stream is Anthropic's
 * events, each carried base64-encoded in the `bytes` of an event-stream `chunk`. So the gateway's
 * Anthropic door passes its requests for Claude on Bedrock through, as it does to Anthropic.
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html
 */
import { toUtf8 } from '@smithy/util-utf8';
import { GatewayError } from '../../../src/errors.js';
import type { NativeRequest } from '../../../src/provider.js';
import {
  UpstreamFailure,
  destroyBody,
  toUpstreamFailure,
  type UpstreamAnswer,
} from '../../../src/upstream.js';
import type { AnthropicErrorWire } from '../anthropic/anthropic-api.js';
import { statusOfErrorType, toAnthropicFailure } from '../anthropic/anthropic-error.js';
import { decodeEventStream, headerText, streamFailure, type BedrockStreamContext } from './bedrock-stream.js';

/** The API version Claude on Bedrock is asked for, in the body. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/** Claude's model ids on Bedrock, inference profiles (`us.anthropic.…`) included. */
const CLAUDE_MODEL_ID = /(^|[.:/])anthropic\.claude/;

export function isBedrockClaude(modelId: string): boolean {
  return CLAUDE_MODEL_ID.test(modelId);
}

/**
 * The client's Messages body as InvokeModel takes it: without `model` (the path's) and `stream` (the
 * operation's), with Bedrock's API version and the betas, when there are any, in `anthropic_beta`.
 */
export function convertToInvokeBody(
  request: NativeRequest,
  betas: readonly string[],
): Record<string, unknown> {
  const { model: _model, stream: _stream, ...rest } = request.body;
  return {
    anthropic_version: BEDROCK_ANTHROPIC_VERSION,
    ...rest,
    ...(betas.length > 0 ? { anthropic_beta: [...betas] } : {}),
  };
}

/**
 * Relays the Anthropic events of an InvokeModelWithResponseStream answer, each decoded from its
 * chunk and named by its type, its JSON text unchanged. Ends only after `message_stop` and a clean
 * end of the body; an exception frame or an Anthropic `error` event is thrown as the failure it
 * stands for (as the HTTP error when it comes first, so the router may still fail over); a cut
 * connection or a broken frame is thrown; stopping early releases the connection.
 */
export async function* readInvokeStream(
  response: UpstreamAnswer,
  context: BedrockStreamContext,
): AsyncGenerator<{ event: string; data: string }, void, undefined> {
  const { provider, signal } = context;
  let started = false;
  let stopped = false;
  let finished = false;
  try {
    for await (const message of decodeEventStream(response.body)) {
      const messageType = headerText(message, ':message-type');
      if (messageType === 'exception' || messageType === 'error') {
        throw streamFailure(message, context, started);
      }
      if (messageType !== 'event' || headerText(message, ':event-type') !== 'chunk') continue;
      let data: string;
      let type: string;
      try {
        const payload = JSON.parse(toUtf8(message.body)) as { bytes?: unknown };
        data = Buffer.from(String(payload.bytes), 'base64').toString('utf8');
        type = String((JSON.parse(data) as { type?: unknown }).type);
      } catch {
        throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', started ? 'mid_stream' : 'http', {
          message: `The provider ${provider} sent a stream chunk that is not an Anthropic event.`,
        });
      }
      if (type === 'error') {
        const wire = JSON.parse(data) as AnthropicErrorWire;
        throw toAnthropicFailure({
          status: statusOfErrorType(wire.error?.type),
          wire,
          text: data,
          provider,
          secrets: context.secrets,
          kind: started ? 'mid_stream' : 'http',
        });
      }
      if (type === 'message_stop') stopped = true;
      started = true;
      yield { event: type, data };
    }
    if (!stopped) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
        message: `The provider ${provider} ended the stream before message_stop.`,
      });
    }
    finished = true;
  } catch (error) {
    if (error instanceof GatewayError || signal.aborted) throw toUpstreamFailure(error, signal, provider);
    if (started) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
        message: `The provider ${provider} cut the stream short.`,
        cause: error,
      });
    }
    throw toUpstreamFailure(error, signal, provider);
  } finally {
    if (!finished) destroyBody(response);
  }
}
