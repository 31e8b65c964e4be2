import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../../../../schemas/chat.js';
import { convertToCompatibleRequest } from '../../../../plugins/providers/openai-compatible/convert-to-compatible-request.js';
import {
  OPENAI_QUIRKS,
  PRESETS,
  type CompatibleQuirks,
} from '../../../../plugins/providers/openai-compatible/openai-compatible-presets.js';
import { GatewayError } from '../../../../src/errors.js';
import type { Target } from '../../../../src/provider.js';

const target: Target = { deploymentId: 'ollama/llama3.2', upstreamModel: 'llama3.2', model: undefined };

function convert(
  request: Partial<ChatCompletionRequest>,
  quirks: CompatibleQuirks,
  policy: 'drop' | 'reject' = 'drop',
) {
  const warnings: string[] = [];
  const body = convertToCompatibleRequest(
    {
      model: 'ollama/llama3.2',
      messages: [{ role: 'user', content: 'Hi' }],
      ...request,
    } as ChatCompletionRequest,
    target,
    quirks,
    policy,
    warnings,
  );
  return { body, warnings };
}

describe('convertToCompatibleRequest', () => {
  it('leaves a request a server takes whole untouched (the same object)', () => {
    const request = {
      model: 'x',
      messages: [{ role: 'developer', content: 'Be brief.' }],
      n: 2,
      tool_choice: 'required',
      max_completion_tokens: 10,
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema: {} } },
      custom_field: true,
    } as unknown as ChatCompletionRequest;
    const warnings: string[] = [];
    expect(convertToCompatibleRequest(request, target, OPENAI_QUIRKS, 'drop', warnings)).toBe(request);
    expect(warnings).toEqual([]);
  });

  it('sends developer messages as system messages to a server without the developer role', () => {
    const { body, warnings } = convert(
      {
        messages: [
          { role: 'developer', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      },
      PRESETS.vllm.quirks,
    );
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(warnings).toEqual([]);
  });

  it('sends the completion limit under the field the server reads, the newer name winning', () => {
    const ollama = convert({ max_completion_tokens: 50, max_tokens: 10 }, PRESETS.ollama.quirks);
    expect(ollama.body).toMatchObject({ max_tokens: 50 });
    expect(ollama.body).not.toHaveProperty('max_completion_tokens');
    expect(ollama.warnings).toEqual([
      'max_completion_tokens sent as max_tokens (the field ollama/llama3.2 reads)',
    ]);
    expect(convert({ max_tokens: 10 }, PRESETS.ollama.quirks).warnings).toEqual([]);
    const newer = convert({ max_tokens: 10 }, { ...OPENAI_QUIRKS, maxTokensField: 'max_completion_tokens' });
    expect(newer.body).toMatchObject({ max_completion_tokens: 10 });
    expect(newer.body).not.toHaveProperty('max_tokens');
  });

  it('drops n above 1, tool_choice required and a json_schema format with a warning each', () => {
    const quirks = { ...OPENAI_QUIRKS, n: false, toolChoiceRequired: false, jsonSchema: false };
    const { body, warnings } = convert(
      {
        n: 3,
        tool_choice: 'required',
        response_format: { type: 'json_schema', json_schema: { name: 'a', schema: {} } },
      } as Partial<ChatCompletionRequest>,
      quirks,
    );
    expect(body).not.toHaveProperty('n');
    expect(body).not.toHaveProperty('tool_choice');
    expect(body).not.toHaveProperty('response_format');
    expect(warnings).toEqual([
      "dropped unsupported parameter 'n' for 'ollama/llama3.2'",
      "dropped unsupported parameter 'tool_choice=required' for 'ollama/llama3.2'",
      "dropped unsupported parameter 'response_format=json_schema' for 'ollama/llama3.2'",
    ]);
    // What the server takes of the same parameters passes.
    const kept = convert(
      {
        n: 1,
        tool_choice: 'auto',
        response_format: { type: 'json_object' },
      } as Partial<ChatCompletionRequest>,
      quirks,
    );
    expect(kept.body).toMatchObject({ n: 1, tool_choice: 'auto', response_format: { type: 'json_object' } });
    expect(kept.warnings).toEqual([]);
  });

  it('refuses them with a 400 naming the first under UNSUPPORTED_PARAMETERS=reject', () => {
    let caught: unknown;
    try {
      convert(
        { tool_choice: 'required', n: 2 },
        { ...OPENAI_QUIRKS, n: false, toolChoiceRequired: false },
        'reject',
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    expect((caught as GatewayError).gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER');
    expect((caught as GatewayError).param).toBe('n');
    expect((caught as GatewayError).message).toContain("'n', 'tool_choice=required'");
  });
});
