/**
 * Safety settings: the request's own (`google.safety_settings`, checked field by field), merged over
 * the instance's and the model's (gemini-options.ts).
 * @see https://ai.google.dev/gemini-api/docs/safety-settings
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import { GatewayError } from '../../../src/errors.js';
import type { GeminiSettings, SafetySetting } from './gemini-options.js';

/** The extension field of the request body that carries Gemini-only settings. */
export const GEMINI_EXTENSION_FIELD = 'google';

/** The request's own safety settings (`google.safety_settings`), checked field by field. */
export function requestSafetySettings(
  request: ChatCompletionRequest,
  settings: GeminiSettings,
): SafetySetting[] | undefined {
  const extension = (request as Record<string, unknown>)[GEMINI_EXTENSION_FIELD];
  if (extension === undefined || extension === null) return undefined;
  const field = GEMINI_EXTENSION_FIELD;
  if (typeof extension !== 'object' || Array.isArray(extension)) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: `Invalid type for '${field}': expected object.`,
      param: field,
      code: 'invalid_type',
    });
  }
  for (const key of Object.keys(extension)) {
    if (key !== 'safety_settings') {
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Unrecognized parameter: '${field}.${key}'. '${field}' takes only 'safety_settings'.`,
        param: `${field}.${key}`,
        code: 'unknown_parameter',
      });
    }
  }
  const list = (extension as { safety_settings?: unknown }).safety_settings;
  if (list === undefined || list === null) return undefined;
  const param = `${field}.safety_settings`;
  if (!settings.allowRequestSafetySettings) {
    throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', {
      message: `'${param}' is turned off on this gateway: safety settings are set by its configuration.`,
      param,
    });
  }
  if (!Array.isArray(list)) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: `Invalid type for '${param}': expected array of {category, threshold}.`,
      param,
      code: 'invalid_type',
    });
  }
  return list.map((item: unknown, index) => {
    const entry = item as { category?: unknown; threshold?: unknown } | null;
    for (const key of ['category', 'threshold'] as const) {
      const value = entry && typeof entry === 'object' ? entry[key] : undefined;
      if (typeof value !== 'string' || value.length === 0) {
        throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
          message: `Missing or invalid '${param}[${index}].${key}': it must be a non-empty string.`,
          param: `${param}[${index}].${key}`,
          code: 'invalid_value',
        });
      }
    }
    return { category: String(entry!.category), threshold: String(entry!.threshold) };
  });
}
