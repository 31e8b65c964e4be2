import { describe, expect, it } from 'vitest';
import { AzureOpenAIEndpoint } from '../../../../plugins/providers/azure-openai/azure-openai-endpoint.js';
import { convertAzureOpenAIError } from '../../../../plugins/providers/azure-openai/azure-openai-error.js';
import { deploymentFor } from '../../../../plugins/providers/azure-openai/azure-openai-adapter.js';
import { normalizeCatalogEntry } from '../../../../src/catalog.js';
import type { Target } from '../../../../src/provider.js';
import { renderError } from '../../../../src/errors.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
import { azureFixture } from '../../../helpers/fake-azure-openai.js';

const signal = new AbortController().signal;

function endpoint(paths: 'deployments' | 'v1', baseUrl = 'https://res.openai.azure.com') {
  return new AzureOpenAIEndpoint({
    provider: 'azure-openai',
    baseUrl,
    paths,
    apiVersion: '2024-10-21',
    apiKey: 'azure-key-0123456789',
    tokens: undefined,
  });
}

describe('Azure OpenAI paths', () => {
  it('calls each deployment under /openai/deployments/{deployment} with the api-version', () => {
    const classic = endpoint('deployments');
    expect(classic.origin).toBe('https://res.openai.azure.com');
    expect(classic.path({ operation: 'chat', model: 'prod-gpt4o' })).toBe(
      '/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21',
    );
    expect(classic.path({ operation: 'embeddings', model: 'embed small' })).toBe(
      '/openai/deployments/embed%20small/embeddings?api-version=2024-10-21',
    );
    expect(classic.path({ operation: 'transcriptions', model: 'whisper' })).toBe(
      '/openai/deployments/whisper/audio/transcriptions?api-version=2024-10-21',
    );
    expect(classic.path({ operation: 'speech', model: 'tts' })).toBe(
      '/openai/deployments/tts/audio/speech?api-version=2024-10-21',
    );
  });

  it('calls the Responses API per resource, and keeps a stored response query after the api-version', () => {
    const classic = endpoint('deployments');
    expect(classic.path({ operation: 'responses', model: 'prod-gpt4o' })).toBe(
      '/openai/responses?api-version=2024-10-21',
    );
    expect(classic.path({ operation: 'responses', responseId: 'resp_1', query: '?include[]=x' })).toBe(
      '/openai/responses/resp_1?api-version=2024-10-21&include[]=x',
    );
    expect(classic.path({ operation: 'responses', responseId: 'resp_1', query: '' })).toBe(
      '/openai/responses/resp_1?api-version=2024-10-21',
    );
  });

  it('calls the v1 API without an api-version, under a path prefix of the endpoint', () => {
    const v1 = endpoint('v1', 'https://gateway.example.com/azure/');
    expect(v1.path({ operation: 'chat', model: 'prod-gpt4o' })).toBe('/azure/openai/v1/chat/completions');
    expect(v1.path({ operation: 'responses', responseId: 'resp_1', query: '?stream=true' })).toBe(
      '/azure/openai/v1/responses/resp_1?stream=true',
    );
  });

  it('opens realtime sessions at /openai/v1/realtime (v1) or /openai/realtime with the deployment', () => {
    expect(endpoint('v1').realtimePath('my realtime')).toBe('/openai/v1/realtime?model=my%20realtime');
    expect(endpoint('deployments').realtimePath('rt')).toBe(
      '/openai/realtime?api-version=2024-10-21&deployment=rt',
    );
  });

  it('sends the key as api-key, or the key a client brought, and names both as secrets', () => {
    const classic = endpoint('deployments');
    expect(classic.headers({ signal })).toEqual({
      'content-type': 'application/json',
      accept: 'application/json',
      'api-key': 'azure-key-0123456789',
    });
    expect(classic.headers({ signal, apiKey: 'client-own-key' })).toMatchObject({
      'api-key': 'client-own-key',
    });
    expect(classic.secrets({ signal, apiKey: 'client-own-key' })).toEqual(
      expect.arrayContaining(['azure-key-0123456789', 'client-own-key']),
    );
  });
});

describe('deploymentFor', () => {
  const model = normalizeCatalogEntry({
    id: 'azure-openai/gpt-4o',
    provider: 'azure-openai',
    upstream: 'gpt-4o',
  });
  const target = (upstreamModel: string, entry = model): Target => ({
    deploymentId: `azure-openai/${upstreamModel}`,
    upstreamModel,
    model: entry,
  });

  it('maps a catalog model to its deployment by model name or catalog id, else keeps the name', () => {
    expect(deploymentFor(target('gpt-4o'), { 'gpt-4o': 'prod-gpt4o' })).toBe('prod-gpt4o');
    expect(deploymentFor(target('gpt-4o'), { 'azure-openai/gpt-4o': 'by-id' })).toBe('by-id');
    expect(deploymentFor(target('gpt-4o'), {})).toBe('gpt-4o');
    expect(deploymentFor({ deploymentId: 'x', upstreamModel: 'my-deployment', model: undefined }, {})).toBe(
      'my-deployment',
    );
  });
});

describe('convertAzureOpenAIError', () => {
  const answer = (status: number, text: string) => ({
    status,
    headers: {},
    text,
    provider: 'azure-openai',
    secrets: ['azure-key-0123456789'],
  });

  it('reads a content-filter refusal as the gateway content_filter error, with Azure filter results', () => {
    const failure = convertAzureOpenAIError(answer(400, azureFixture('error-content-filter.json')));
    expect(failure).toBeInstanceOf(UpstreamFailure);
    expect(failure.gatewayCode).toBe('GW_ERR_CONTENT_FILTERED');
    expect(failure.retryable).toBe(false);
    const rendered = renderError(failure);
    expect(rendered.status).toBe(400);
    expect(rendered.envelope.error).toMatchObject({
      type: 'content_filter',
      code: 'content_filter',
      param: 'prompt',
      message: expect.stringContaining('content management policy'),
      details: {
        provider: 'azure-openai',
        reason: 'ResponsibleAIPolicyViolation',
        content_filter_result: {
          jailbreak: { filtered: true, detected: true },
          violence: { filtered: true, severity: 'medium' },
        },
      },
    });
  });

  it('reads any other error as OpenAI errors are read: status, message and code kept', () => {
    const failure = convertAzureOpenAIError(answer(404, azureFixture('error-deployment-not-found.json')));
    expect(failure.gatewayCode).toBe('GW_ERR_UPSTREAM_ERROR');
    expect(failure.statusCode).toBe(404);
    expect(failure.code).toBe('DeploymentNotFound');
    const unauthorized = convertAzureOpenAIError(answer(401, azureFixture('error-invalid-key.json')));
    expect(unauthorized.statusCode).toBe(401);
    // A 400 that is not a filter refusal stays a provider error.
    const invalid = convertAzureOpenAIError(
      answer(400, JSON.stringify({ error: { code: 'invalid_value', message: 'bad azure-key-0123456789' } })),
    );
    expect(invalid.gatewayCode).toBe('GW_ERR_UPSTREAM_ERROR');
    expect(invalid.message).toBe('bad [redacted]');
  });
});
