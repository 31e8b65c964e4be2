/**
 * The built-in echo provider: the model `gateway/echo` says the last user message back, unary or
 * streamed, and answers embeddings with deterministic vectors. It needs no key and calls nothing, so
 * a gateway started with no provider key can be tried at once (curl, the SDKs, Swagger UI), and
 * health probes and load tests have a model that costs nothing. `ECHO_ENABLED=false` turns it off;
 * it takes part in a group or fallback only where one names it.
 */
import { defineProvider } from '../../../src/provider.js';
import { EchoSettingsSchema, type EchoSettings } from './echo-options.js';

export default defineProvider<EchoSettings>({
  type: 'echo',
  displayName: 'Echo (built in)',
  // Nothing is ever sent there: the echo answers in the gateway.
  defaultBaseUrl: 'http://echo.invalid',
  requiresApiKey: false,
  builtin: true,
  variables: [
    {
      name: 'ECHO_ENABLED',
      setting: 'enabled',
      doc: 'Serve the built-in echo model gateway/echo (no key, no cost)',
    },
    { name: 'ECHO_DELAY_MS', setting: 'delayMs', doc: 'Pause between the echo’s streamed tokens, ms' },
  ],
  settings: EchoSettingsSchema,
  catalog: new URL('./models.yaml', import.meta.url),
  async create(instance) {
    const { EchoAdapter } = await import('./echo-adapter.js');
    return new EchoAdapter(instance);
  },
});
