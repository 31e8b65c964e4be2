/**
 * What a request needs of the model that serves it: capabilities (tools, vision, audio, JSON schema)
 * and room in its context window. Deployments that cannot take the request are skipped whatever the
 * strategy; when none is left the client is told why.
 */
import type { ChatCompletionRequest } from '../../schemas/chat.js';
import type { Capability } from '../catalog.js';
import { estimateTokens } from '../tokens.js';
import type { Deployment } from './deployment.js';
import type { Estimate } from './strategies.js';

export interface Requirements {
  capabilities: Capability[];
  estimate: Estimate;
  /** The completion budget the client asked for, if any (counts against the context window). */
  maxOutputTokens: number | undefined;
}

// A rough allowance per image or audio part: providers bill hundreds to a few thousand tokens each.
const TOKENS_PER_MEDIA_PART = 1000;
const DEFAULT_COMPLETION_ESTIMATE = 500;

export function chatRequirements(request: ChatCompletionRequest): Requirements {
  const capabilities = new Set<Capability>();
  let characters = 0;
  let mediaParts = 0;
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (typeof content === 'string') characters += content.length;
    else if (Array.isArray(content)) {
      for (const part of content as { type?: string; text?: string }[]) {
        if (part.type === 'text') characters += part.text?.length ?? 0;
        else if (part.type === 'image_url') {
          capabilities.add('vision');
          mediaParts++;
        } else if (part.type === 'input_audio') {
          capabilities.add('audio');
          mediaParts++;
        } else if (part.type === 'file') mediaParts++;
      }
    }
    const toolCalls = (message as { tool_calls?: { function?: { arguments?: string } }[] }).tool_calls;
    if (toolCalls) for (const call of toolCalls) characters += call.function?.arguments?.length ?? 0;
  }
  if ((request.tools && request.tools.length > 0) || (request.functions && request.functions.length > 0)) {
    capabilities.add('tools');
    characters += JSON.stringify(request.tools ?? request.functions).length;
  }
  if (request.response_format?.type === 'json_schema') capabilities.add('json_schema');
  if (request.modalities?.includes('audio')) capabilities.add('audio');
  const maxOutputTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  return {
    capabilities: [...capabilities],
    estimate: {
      promptTokens: estimateTokens(characters) + mediaParts * TOKENS_PER_MEDIA_PART,
      completionTokens: maxOutputTokens ?? DEFAULT_COMPLETION_ESTIMATE,
    },
    maxOutputTokens,
  };
}

/** Why a deployment cannot take the request, or undefined when it can. */
export function unfitReason(deployment: Deployment, requirements: Requirements): string | undefined {
  const model = deployment.model;
  if (!model) return undefined; // not in the catalog: nothing known, let the provider decide
  const missing = requirements.capabilities.filter((capability) => !model.capabilities.includes(capability));
  if (missing.length > 0) return `${model.id} lacks ${missing.join(', ')}`;
  if (model.context_window !== undefined) {
    const needed = requirements.estimate.promptTokens + (requirements.maxOutputTokens ?? 0);
    if (needed > model.context_window) {
      return `${model.id} has a ${model.context_window}-token context window; this request needs about ${needed}`;
    }
  }
  if (
    requirements.maxOutputTokens !== undefined &&
    model.max_output_tokens !== undefined &&
    requirements.maxOutputTokens > model.max_output_tokens
  ) {
    return `${model.id} writes at most ${model.max_output_tokens} tokens; ${requirements.maxOutputTokens} were asked`;
  }
  return undefined;
}
