/**
 * Vertex AI's OAuth access tokens, through google-auth-library: minted from a service-account key
 * file, or from application default credentials (the metadata server on Google Cloud, a workload
 * identity, gcloud's user credentials), cached and refreshed by the library before they expire.
 *
 * A key file names the token endpoint it belongs to (`token_uri`); google-auth-library's
 * service-account client always calls Google's, so a request interceptor on its transport sends the
 * token request to the file's endpoint (the same one, for Google's own files; a private or test
 * endpoint otherwise).
 * @see https://cloud.google.com/docs/authentication/provide-credentials-adc
 * @see https://developers.google.com/identity/protocols/oauth2/service-account#httprest
 */
import { readFile } from 'node:fs/promises';
import { GoogleAuth, type AuthClient } from 'google-auth-library';
import { ProviderConfigError } from '../../../src/provider-registry.js';
import { VERTEX_SCOPE } from './vertex-api.js';

/** Where google-auth-library's service-account client asks for tokens. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** What the gateway reads of a key file; the library reads the rest. */
export interface CredentialsFile {
  type?: string;
  project_id?: string;
  token_uri?: string;
  client_email?: string;
  [key: string]: unknown;
}

/** Reads a key file; a missing or malformed one stops the start naming the setting. */
export async function readCredentialsFile(path: string, setting: string): Promise<CredentialsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ProviderConfigError(
      `Invalid configuration: ${setting}: cannot read ${path}: ${(error as Error).message}`,
    );
  }
  try {
    const parsed = JSON.parse(text) as CredentialsFile;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    // Reported below.
  }
  throw new ProviderConfigError(`Invalid configuration: ${setting}: ${path} is not a JSON key file`);
}

export class VertexTokens {
  readonly #auth: GoogleAuth;
  readonly #tokenUri: string | undefined;
  #client: Promise<AuthClient> | undefined;

  /** @param credentials a key file's contents; undefined: application default credentials */
  constructor(credentials: CredentialsFile | undefined) {
    this.#auth = new GoogleAuth({ scopes: [VERTEX_SCOPE], ...(credentials ? { credentials } : {}) });
    this.#tokenUri = credentials?.token_uri;
  }

  #authClient(): Promise<AuthClient> {
    this.#client ??= this.#auth.getClient().then((client) => {
      const tokenUri = this.#tokenUri;
      if (tokenUri && tokenUri !== GOOGLE_TOKEN_URL) {
        client.transporter.interceptors.request.add({
          resolved: async (options) => {
            if (options.url.href === GOOGLE_TOKEN_URL) options.url = new URL(tokenUri);
            return options;
          },
        });
      }
      return client;
    });
    // A failure (no credentials found) is not kept: the next call looks again.
    this.#client.catch(() => (this.#client = undefined));
    return this.#client;
  }

  /** A valid access token: the cached one, or a new one when it expires within five minutes. */
  async accessToken(): Promise<string> {
    const client = await this.#authClient();
    const { token } = await client.getAccessToken();
    if (!token) throw new Error('the credentials gave no access token');
    return token;
  }

  /** The project the credentials belong to, when the instance names none. */
  projectId(): Promise<string> {
    return this.#auth.getProjectId();
  }
}
