/**
 * The Amazon Bedrock provider: the models Bedrock serves (Claude, Nova, Llama, Mistral, …) through
 * its Converse API behind the gateway's OpenAI-shaped endpoints, translated both ways; embeddings
 * through InvokeModel. Requests are signed with AWS Signature Version 4 from the standard `AWS_*`
 * variables, or carry a Bedrock API key.
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference.html
 */
import { defineProvider } from '../../../src/provider.js';
import { DEFAULT_BEDROCK_BASE_URL } from './bedrock-api.js';
import { BedrockSettingsSchema, hasSigningKeys, type BedrockSettings } from './bedrock-options.js';

export default defineProvider<BedrockSettings>({
  type: 'bedrock',
  displayName: 'Amazon Bedrock',
  defaultBaseUrl: DEFAULT_BEDROCK_BASE_URL,
  requiresApiKey: true,
  // Signed requests (or a service account) need no key: such an instance serves without one.
  instanceDefaults: (settings) => ({ requiresApiKey: !hasSigningKeys(settings) }),
  configuredBy: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_BEARER_TOKEN_BEDROCK',
  variables: [
    {
      name: 'AWS_ACCESS_KEY_ID',
      setting: 'accessKeyId',
      doc: 'AWS access key id; with AWS_SECRET_ACCESS_KEY, Bedrock requests are signed (SigV4)',
      sensitive: true,
    },
    {
      name: 'AWS_SECRET_ACCESS_KEY',
      setting: 'secretAccessKey',
      doc: 'AWS secret access key (signs the requests; never sent)',
      sensitive: true,
    },
    {
      name: 'AWS_SESSION_TOKEN',
      setting: 'sessionToken',
      doc: 'Session token of temporary AWS credentials (an assumed role); empty for long-term keys',
      sensitive: true,
    },
    {
      name: 'AWS_BEARER_TOKEN_BEDROCK',
      setting: 'apiKey',
      doc: 'Bedrock API key, sent as a bearer token instead of signing (wins over the AWS keys)',
      sensitive: true,
    },
    {
      name: 'AWS_REGION',
      setting: 'region',
      doc: 'AWS region of the Bedrock Runtime endpoint (us-east-1, eu-central-1, …)',
    },
    {
      name: 'BEDROCK_BASE_URL',
      setting: 'baseUrl',
      doc: "Bedrock Runtime origin; the default stands for the region's endpoint",
    },
  ],
  settings: BedrockSettingsSchema,
  catalog: new URL('./models.yaml', import.meta.url),
  async create(instance, services) {
    const { BedrockAdapter } = await import('./bedrock-adapter.js');
    return new BedrockAdapter(instance, services);
  },
});
