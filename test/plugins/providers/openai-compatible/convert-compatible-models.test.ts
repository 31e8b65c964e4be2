import { describe, expect, it } from 'vitest';
import { convertCompatibleModels } from '../../../../plugins/providers/openai-compatible/convert-compatible-models.js';
import { compatibleFixture } from '../../../helpers/fake-compatible-server.js';

const read = (name: string) => convertCompatibleModels(JSON.parse(compatibleFixture(name)));

describe('convertCompatibleModels', () => {
  it("reads vLLM's list, its max_model_len as the context window", () => {
    expect(read('vllm-models.json')).toEqual([
      {
        id: 'meta-llama/Llama-3.1-8B-Instruct',
        created: 1762560600,
        ownedBy: 'vllm',
        contextWindow: 131072,
      },
    ]);
  });

  it("reads Ollama's and Mistral's lists", () => {
    expect(read('ollama-models.json').map((model) => model.id)).toEqual([
      'llama3.2:latest',
      'nomic-embed-text:latest',
    ]);
    expect(read('mistral-models.json')).toEqual([
      { id: 'mistral-small-latest', created: 1762560000, ownedBy: 'mistralai', contextWindow: 131072 },
    ]);
  });

  it('skips entries without a name and reads a list without data as empty', () => {
    expect(
      convertCompatibleModels({ data: [{ id: 7 }, null as never, { id: '' }, { id: 'ok', created: -1 }] }),
    ).toEqual([{ id: 'ok' }]);
    expect(convertCompatibleModels({})).toEqual([]);
  });
});
