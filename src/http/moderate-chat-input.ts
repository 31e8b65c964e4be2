/**
 * Chat input moderation: for the keys and the models (aliases, groups) configuration names
 * (`moderation.keys`, `moderation.models`), the user's text (and images, for a moderation model
 * that sees them) goes to the moderation model before any chat model is called. A flagged input is
 * refused with 400 `content_filter` and the chat model is never called; the decision is in the
 * access log (`moderation`) and the metrics.
 *
 * A moderation that cannot be had (the moderation model failing or not configured) refuses the
 * request with that failure: a key that must be moderated is never served unmoderated.
 *
 * Every door that carries chat input moderates it (OpenAI chat, the Responses API, Anthropic's
 * Messages API, the Gemini API): each hands over the messages of the internal chat request it
 * builds, before its cache and any model call, and renders the refusal in its own envelope.
 * @see https://platform.openai.com/docs/guides/moderation
 */
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChatCompletionRequest } from '../../schemas/chat.js';
import type { GatewayOptions } from '../../schemas/options.js';
import type { ModerationInputPart } from '../../schemas/moderations.js';
import { GatewayError } from '../errors.js';
import { compileModelPatterns } from '../identity.js';
import type { Router } from '../routing/router.js';
import { UpstreamFailure } from '../upstream.js';
import { startCall } from './call-context.js';
import { unwrapExecutionError } from './gateway-headers.js';

/** What the access log and the metrics say of a moderated request. */
export interface ModerationDecision {
  readonly decision: 'passed' | 'flagged' | 'failed';
  /** The moderation model asked. */
  readonly model: string;
  /** The categories flagged, for a flagged input. */
  readonly categories?: readonly string[];
}

declare module './request-state.js' {
  interface RequestState {
    /** Set when the request's input went through the gateway's moderation. */
    moderation?: ModerationDecision;
  }
}

interface ModerationAnswerWire {
  results?: { flagged?: unknown; categories?: Record<string, unknown> | null }[] | null;
}

/** The parts of a chat request a moderation model judges: what the users wrote and showed. */
export function convertToModerationInput(
  messages: ChatCompletionRequest['messages'],
  withImages: boolean,
): ModerationInputPart[] {
  const parts: ModerationInputPart[] = [];
  for (const message of messages) {
    if (message.role !== 'user') continue;
    const content = message.content;
    if (typeof content === 'string') {
      if (content.trim()) parts.push({ type: 'text', text: content });
      continue;
    }
    for (const part of content) {
      if (part.type === 'text' && part.text.trim()) parts.push({ type: 'text', text: part.text });
      else if (part.type === 'image_url' && withImages) {
        parts.push({ type: 'image_url', image_url: { url: part.image_url.url } });
      }
    }
  }
  return parts;
}

/** The categories a moderation answer flagged, or undefined when it flagged nothing. */
export function flaggedCategories(answer: ModerationAnswerWire): string[] | undefined {
  const results = answer.results ?? [];
  if (!results.some((result) => result.flagged === true)) return undefined;
  const categories = new Set<string>();
  for (const result of results) {
    for (const [name, flagged] of Object.entries(result.categories ?? {})) {
      if (flagged === true) categories.add(name);
    }
  }
  return [...categories].sort();
}

export interface ChatInputModeration {
  /** Whether this request's input is to be moderated (its key or the model it names is listed). */
  applies(request: FastifyRequest, model: string): boolean;
  /**
   * Moderates the messages of the internal chat request; throws the 400 of a flagged input (naming
   * `param`, the field of the door's own API that carried it), or the failure of the moderation.
   */
  check(
    request: FastifyRequest,
    reply: FastifyReply,
    messages: ChatCompletionRequest['messages'],
    param?: string,
  ): Promise<void>;
}

export function createChatInputModeration(
  options: GatewayOptions['moderation'],
  router: Router,
  requestTimeout: number,
): ChatInputModeration {
  const keys = options.keys.length > 0 ? compileModelPatterns(options.keys) : null;
  const models = options.models.length > 0 ? compileModelPatterns(options.models) : null;

  return {
    applies(request, model) {
      const id = request.gateway.identity?.id;
      return (keys !== null && id !== undefined && keys(id)) || (models !== null && models(model));
    },

    async check(request, reply, messages, param = 'messages') {
      const state = request.gateway;
      const plan = router.plan(options.model, 'moderation');
      const seesImages = plan.deployments.every(
        (deployment) => deployment.model?.modalities.input.includes('image') === true,
      );
      const input = convertToModerationInput(messages, seesImages);
      if (input.length === 0) {
        state.moderation = { decision: 'passed', model: options.model };
        return;
      }
      const call = startCall(request, reply, requestTimeout, []);
      const started = performance.now();
      let answer: ModerationAnswerWire;
      try {
        const execution = await router.execute(
          plan,
          async (deployment, handle) => {
            const result = await deployment.instance.adapter.moderations!(
              { model: options.model, input },
              deployment,
              { ...call.context, signal: handle.signal, warnings: [] },
            );
            try {
              return JSON.parse(result.body.toString()) as ModerationAnswerWire;
            } catch (error) {
              throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
                message: `${deployment.instance.id} answered a moderation that is not JSON`,
                cause: error,
              });
            }
          },
          call.context,
        );
        execution.release();
        answer = execution.value;
      } catch (error) {
        state.moderation = { decision: 'failed', model: options.model };
        throw unwrapExecutionError(error, { ...state });
      } finally {
        call.dispose();
        // Moderation time is upstream time, not the gateway's overhead.
        state.upstreamMs += performance.now() - started;
      }
      const categories = flaggedCategories(answer);
      if (!categories) {
        state.moderation = { decision: 'passed', model: options.model };
        return;
      }
      state.moderation = { decision: 'flagged', model: options.model, categories };
      throw new GatewayError('GW_ERR_MODERATION_FLAGGED', {
        message:
          `The input was flagged by moderation (${categories.join(', ') || 'flagged'}); ` +
          'no model was called.',
        param,
        details: { categories },
      });
    },
  };
}
