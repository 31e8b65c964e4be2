/**
 * How presets settle an `openai-compatible` instance: base URL, whether it needs a key, the key read
 * from the preset's variable, and what cannot work stopped at start.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProviderInstanceOptions } from '../../../../schemas/options.js';
import { PROVIDERS } from '../../../../plugins/providers/index.js';
import { OpenAICompatibleAdapter } from '../../../../plugins/providers/openai-compatible/openai-compatible-adapter.js';
import { loadConfig } from '../../../../src/config.js';
import { PACKAGE_ROOT } from '../../../../src/package-root.js';
import { ProviderRegistry } from '../../../../src/provider-registry.js';
import { RemoteMedia } from '../../../../src/remote-media.js';
import { mediaOptions } from '../../../helpers/media-options.js';

const dispatcher = new Agent();
const media = new RemoteMedia(mediaOptions({ maxBytes: 1024, timeoutMs: 1000, maxRedirects: 0 }));
const services = { dispatcher, media, unsupportedParameters: 'drop' as const };
afterAll(() => dispatcher.close());

function load(env: Record<string, string>, yaml?: string[]) {
  const files: Record<string, string> = {};
  if (yaml) {
    const file = join(mkdtempSync(join(tmpdir(), 'gateway-presets-')), 'gateway.yaml');
    writeFileSync(file, yaml.join('\n'));
    files['GATEWAY_CONFIG'] = file;
  }
  return loadConfig({ env: { ...env, ...files }, configDirectory: join(PACKAGE_ROOT, 'config') }).gateway
    .providers;
}

const build = (providers: Record<string, ProviderInstanceOptions>) =>
  ProviderRegistry.build(PROVIDERS, providers, services);

describe('an openai-compatible instance', () => {
  it('takes a local preset without a key, at its base URL, with its quirks', async () => {
    const registry = await build(
      load({}, [
        'providers:',
        '  ollama: { type: openai-compatible, preset: ollama, discovery: { enabled: false } }',
      ]),
    );
    const ollama = registry.get('ollama')!;
    expect(ollama).toMatchObject({ configured: true, baseUrl: 'http://localhost:11434/v1' });
    const adapter = ollama.adapter as OpenAICompatibleAdapter;
    expect(adapter).toBeInstanceOf(OpenAICompatibleAdapter);
    expect(adapter.quirks).toMatchObject({ developerRole: false, maxTokensField: 'max_tokens', n: false });
    expect(adapter.modelDiscovery).toBeUndefined();
  });

  it("reads a hosted preset's key from its variable, and is not served without it", async () => {
    const yaml = ['providers:', '  groq: { type: openai-compatible, preset: groq, n: true }'];
    const withKey = load({ GROQ_API_KEY: 'gsk-0123456789' }, yaml);
    expect(withKey['groq']).toMatchObject({ apiKey: 'gsk-0123456789' });
    const served = await build(withKey);
    expect(served.get('groq')).toMatchObject({ configured: true, baseUrl: 'https://api.groq.com/openai/v1' });
    // An instance's own quirk wins over its preset's.
    expect((served.get('groq')!.adapter as OpenAICompatibleAdapter).quirks.n).toBe(true);
    const unserved = await build(load({}, yaml));
    expect(unserved.get('groq')).toMatchObject({ configured: false, apiKeyVariable: 'GROQ_API_KEY' });
  });

  it('configures the instance the environment names by its preset', async () => {
    const registry = await build(
      load({ OPENAI_COMPATIBLE_PRESET: 'vllm', OPENAI_COMPATIBLE_BASE_URL: 'http://gpu-box:8000/v1' }),
    );
    expect(registry.get('openai-compatible')).toMatchObject({
      configured: true,
      baseUrl: 'http://gpu-box:8000/v1',
    });
    const preset = await build(
      load({ OPENAI_COMPATIBLE_PRESET: 'mistral', MISTRAL_API_KEY: 'm-0123456789' }),
    );
    expect(preset.get('openai-compatible')).toMatchObject({
      configured: true,
      baseUrl: 'https://api.mistral.ai/v1',
    });
    // Unset, the instance serves nothing and asks nothing of the network.
    expect((await build(load({}))).get('openai-compatible')?.configured).toBe(false);
  });

  it('stops the start on a custom server without a base URL, or an unknown preset or quirk', async () => {
    await expect(build(load({ OPENAI_COMPATIBLE_API_KEY: 'k-0123456789' }))).rejects.toThrow(
      /providers\.openai-compatible\.baseUrl: .* set OPENAI_COMPATIBLE_BASE_URL/,
    );
    expect(() => load({ OPENAI_COMPATIBLE_PRESET: 'vlm' })).toThrow(
      /^Invalid configuration: OPENAI_COMPATIBLE_PRESET \(providers\.openai-compatible\.preset\): must be one of .*"vllm".*: value was "vlm"$/,
    );
    await expect(
      build({
        local: { type: 'openai-compatible', preset: 'vllm', streamOption: false } as ProviderInstanceOptions,
      }),
    ).rejects.toThrow(/providers\.local\.streamOption: not a setting of this provider/);
  });
});
