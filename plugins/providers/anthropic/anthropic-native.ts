/**
 * Anthropic's own API passed through: a request an inbound door received in the Messages API
 * (`anthropic-messages`) goes to Anthropic as the client wrote it, with the upstream model name in
 * place, the client's `anthropic-version` (else the gateway's) and its betas with the instance's;
 * the answer comes back as Anthropic sent it, bytes or events. The gateway reads only the model and
 * the usage.
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/api/messages-count-tokens
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
import { GatewayError } from '../../../src/errors.js';
import type { NativeRequest, Target } from '../../../src/provider.js';
import { parseServerSentEvents } from '../../../src/sse.js';
import { UpstreamFailure, toUpstreamFailure, type UpstreamAnswer } from '../../../src/upstream.js';
import { BetaNameSchema, forModel, type AnthropicSettings } from './anthropic-options.js';
import {
  anthropicMessagesPath,
  buildAnthropicHeaders,
  mergeBetas,
  type AnthropicErrorWire,
} from './anthropic-api.js';
import { statusOfErrorType, toAnthropicFailure } from './anthropic-error.js';

/** The API id the Messages door and this adapter share. */
export const MESSAGES_API = 'anthropic-messages';

const BETA_NAME = new RegExp(BetaNameSchema.pattern!);

/** The upstream path of an operation of the Messages API, or undefined for one it does not have. */
export function nativePath(pathPrefix: string, operation: string): string | undefined {
  switch (operation) {
    case 'messages':
      return anthropicMessagesPath(pathPrefix);
    case 'count_tokens':
      return `${anthropicMessagesPath(pathPrefix)}/count_tokens`;
    default:
      return undefined;
  }
}

/** The client's `anthropic-beta` list, checked (a 400 naming the header for a malformed one). */
function clientBetas(header: string | undefined, settings: AnthropicSettings): string[] {
  const betas = (header ?? '')
    .split(',')
    .map((beta) => beta.trim())
    .filter((beta) => beta.length > 0);
  if (betas.length === 0) return [];
  if (!settings.allowRequestBetas) {
    throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', {
      message:
        "The 'anthropic-beta' header is turned off on this gateway: betas are set by its configuration.",
      param: 'anthropic-beta',
    });
  }
  for (const beta of betas) {
    if (!BETA_NAME.test(beta)) {
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Invalid 'anthropic-beta': ${JSON.stringify(beta)} is not a beta name such as 'interleaved-thinking-2025-05-14'.`,
        param: 'anthropic-beta',
      });
    }
  }
  return betas;
}

/**
 * The betas of a passed-through request: the instance's, the model's and the client's, each once
 * (also for the clouds that host Claude and take Anthropic's body: Vertex AI, Bedrock).
 */
export function nativeBetas(request: NativeRequest, target: Target, settings: AnthropicSettings): string[] {
  return mergeBetas(
    settings.betas,
    forModel(settings.modelBetas, target.model?.id, target.upstreamModel),
    clientBetas(request.headers['anthropic-beta'], settings),
  );
}

/**
 * The headers of a passed-through request: the key, the client's `anthropic-version` (the gateway's
 * when it sent none), and the instance's, the model's and the client's betas, each once.
 */
export function buildNativeHeaders(
  apiKey: string | undefined,
  request: NativeRequest,
  target: Target,
  settings: AnthropicSettings,
): Record<string, string> {
  const headers = buildAnthropicHeaders(apiKey, nativeBetas(request, target, settings), request.stream);
  const version = request.headers['anthropic-version']?.trim();
  if (version) headers['anthropic-version'] = version;
  return headers;
}

/** The client's body with the upstream model name, as JSON (the rest as the client sent it). */
export function nativeBody(request: NativeRequest, target: Target): string {
  return JSON.stringify({ ...request.body, model: target.upstreamModel });
}

/**
 * Relays Anthropic's event stream, each event with its name and its data unchanged. Ends only after
 * `message_stop` and a clean close. An `error` event is thrown as the failure it stands for: as the
 * HTTP error of its type when it comes first (so the router may still retry elsewhere), as a
 * mid-stream failure after (the door ends the client's stream with an error event of its own). A
 * cut connection is thrown; stopping early (`return()`) releases the connection.
 */
export async function* readNativeStream(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): AsyncGenerator<{ event: string | undefined; data: string }, void, undefined> {
  let finished = false;
  let started = false;
  let stopped = false;
  try {
    for await (const sse of parseServerSentEvents(response.body)) {
      const event = sse.event === 'message' ? undefined : sse.event;
      let type = event;
      if (event === undefined || event === 'error') {
        try {
          type = String((JSON.parse(sse.data) as { type?: unknown }).type ?? '');
        } catch {
          // Not JSON: relayed as it is, the client's SDK will say what it makes of it.
        }
      }
      if (type === 'error' || event === 'error') {
        let wire: AnthropicErrorWire | undefined;
        try {
          wire = JSON.parse(sse.data) as AnthropicErrorWire;
        } catch {
          wire = undefined;
        }
        throw toAnthropicFailure({
          status: statusOfErrorType(wire?.error?.type),
          wire,
          text: sse.data,
          provider,
          secrets,
          kind: started ? 'mid_stream' : 'http',
        });
      }
      if (type === 'message_stop') stopped = true;
      started = true;
      yield { event, data: sse.data };
    }
    if (!stopped) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
        message: `The provider ${provider} ended the stream before message_stop.`,
      });
    }
    finished = true;
  } catch (error) {
    if (started && !(error instanceof GatewayError) && !signal.aborted) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
        message: `The provider ${provider} cut the stream short.`,
        cause: error,
      });
    }
    throw toUpstreamFailure(error, signal, provider);
  } finally {
    if (!finished) response.body.destroy();
  }
}
