/**
 * OpenAI's image generation request for Gemini's image models, and their answers back as OpenAI's
 * images object with `b64_json` data:
 * - Imagen (catalog type `image`) through `models/{model}:predict`: the prompt as one instance,
 *   `n` as `sampleCount` (1 to 4), `size` as an `aspectRatio`, `output_format` as the output MIME type;
 * - Gemini models that answer images (a chat model whose catalog entry serves `image`) through
 *   `generateContent` with the IMAGE response modality, one image per call (`n` 1).
 * An image edit goes to a Gemini image-output model the same way, its images as `inlineData` parts
 * after the prompt; Imagen's `predict` edits nothing through the Gemini API, and a mask has no
 * Gemini counterpart: both are refused.
 * What has no Gemini equivalent is dropped with a warning or refused, as the gateway's
 * unsupportedParameters says; `response_format: url` is always refused (Gemini returns bytes, never
 * a URL, and a client that asked for one would find none).
 * @see https://ai.google.dev/gemini-api/docs/imagen
 * @see https://ai.google.dev/gemini-api/docs/image-generation
 */
import type { GatewayOptions } from '../../../schemas/options.js';
import type { ImageGenerationRequest } from '../../../schemas/images.js';
import { GatewayError } from '../../../src/errors.js';
import type { ImageEditOptions } from '../../../src/image-form.js';

/** OpenAI sizes and the Imagen / Gemini aspect ratio each one is. */
const ASPECT_RATIOS: Readonly<Record<string, string>> = {
  '1024x1024': '1:1',
  '256x256': '1:1',
  '512x512': '1:1',
  '1792x1024': '16:9',
  '1024x1792': '9:16',
  '1536x1024': '3:2',
  '1024x1536': '2:3',
};
/** The aspect ratios Imagen takes (Gemini image models take 3:2 and 2:3 too). */
const IMAGEN_ASPECT_RATIOS = new Set(['1:1', '3:4', '4:3', '9:16', '16:9']);
const MIME_TYPES: Readonly<Record<string, string>> = { png: 'image/png', jpeg: 'image/jpeg' };
export const MAX_IMAGEN_SAMPLES = 4;

export interface GeminiImageRequest {
  /** `predict` (Imagen) or `generateContent` (a Gemini image-output model). */
  readonly method: 'predict' | 'generateContent';
  readonly body: Record<string, unknown>;
}

interface Policy {
  readonly unsupportedParameters: GatewayOptions['unsupportedParameters'];
  readonly warnings: string[];
  readonly model: string;
}

function refuse(param: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', { message, param });
}

/** A parameter the model cannot honour: dropped with a warning, or refused, by configuration. */
function unsupported(policy: Policy, param: string, value: unknown, why: string): void {
  const message = `'${param}' (${JSON.stringify(value)}) is not supported by ${policy.model}: ${why}`;
  if (policy.unsupportedParameters === 'reject') throw refuse(param, message);
  policy.warnings.push(`dropped ${param}: ${why}`);
}

export function convertToGeminiImageRequest(
  request: ImageGenerationRequest,
  imagen: boolean,
  policy: Policy,
): GeminiImageRequest {
  if (request.response_format === 'url') {
    throw refuse(
      'response_format',
      `${policy.model} returns image bytes, never a URL: ask for response_format "b64_json" (or leave it out).`,
    );
  }
  const n = request.n ?? 1;
  const limit = imagen ? MAX_IMAGEN_SAMPLES : 1;
  if (n > limit)
    throw refuse('n', `${policy.model} makes at most ${limit} image${limit > 1 ? 's' : ''} per request.`);
  let aspectRatio: string | undefined;
  if (request.size !== undefined && request.size !== 'auto') {
    aspectRatio = ASPECT_RATIOS[request.size];
    if (!aspectRatio || (imagen && !IMAGEN_ASPECT_RATIOS.has(aspectRatio))) {
      throw refuse(
        'size',
        `${policy.model} makes images of aspect ratio ${[...(imagen ? IMAGEN_ASPECT_RATIOS : new Set(Object.values(ASPECT_RATIOS)))].join(', ')}: ` +
          `use a size among ${Object.entries(ASPECT_RATIOS)
            .filter(([, ratio]) => !imagen || IMAGEN_ASPECT_RATIOS.has(ratio))
            .map(([size]) => size)
            .join(', ')} or auto.`,
      );
    }
  }
  let mimeType: string | undefined;
  if (request.output_format !== undefined) {
    mimeType = MIME_TYPES[request.output_format];
    if (!mimeType) throw refuse('output_format', `${policy.model} makes png or jpeg images.`);
    if (!imagen && request.output_format !== 'png') {
      unsupported(policy, 'output_format', request.output_format, 'the model chooses its own image format');
      mimeType = undefined;
    }
  }
  if (request.quality !== undefined && request.quality !== 'auto') {
    unsupported(policy, 'quality', request.quality, 'Gemini image models have no quality setting');
  }
  if (request.background !== undefined && request.background !== 'auto') {
    unsupported(policy, 'background', request.background, 'Gemini image models make opaque images only');
  }
  if (request.style !== undefined)
    unsupported(policy, 'style', request.style, 'Gemini image models have no style setting');
  if (request.output_compression !== undefined) {
    unsupported(
      policy,
      'output_compression',
      request.output_compression,
      'Gemini image models set their own compression',
    );
  }

  if (imagen) {
    const parameters: Record<string, unknown> = { sampleCount: n };
    if (aspectRatio) parameters['aspectRatio'] = aspectRatio;
    if (mimeType) parameters['outputOptions'] = { mimeType };
    return { method: 'predict', body: { instances: [{ prompt: request.prompt }], parameters } };
  }
  const generationConfig: Record<string, unknown> = { responseModalities: ['TEXT', 'IMAGE'] };
  if (aspectRatio) generationConfig['imageConfig'] = { aspectRatio };
  return {
    method: 'generateContent',
    body: { contents: [{ role: 'user', parts: [{ text: request.prompt }] }], generationConfig },
  };
}

/** An image of an edit, read whole and checked (png, jpeg or webp). */
export interface GeminiInlineImage {
  readonly mimeType: string;
  readonly data: Buffer;
}

/** An image edit for a Gemini image-output model: `generateContent` with the images inline. */
export function convertToGeminiImageEdit(
  options: ImageEditOptions,
  images: readonly GeminiInlineImage[],
  policy: Policy,
): GeminiImageRequest {
  if (options.prompt === undefined) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: "Missing required parameter: 'prompt'.",
      param: 'prompt',
      code: 'missing_required_parameter',
    });
  }
  if (options.inputFidelity !== undefined) {
    unsupported(
      policy,
      'input_fidelity',
      options.inputFidelity,
      'Gemini image models have no input fidelity setting',
    );
  }
  const request: ImageGenerationRequest = { prompt: options.prompt };
  if (options.n !== undefined) request.n = options.n;
  if (options.size !== undefined) request.size = options.size;
  if (options.quality !== undefined) request.quality = options.quality;
  if (options.responseFormat !== undefined) {
    request.response_format = options.responseFormat as ImageGenerationRequest['response_format'];
  }
  if (options.background !== undefined) request.background = options.background;
  if (options.outputFormat !== undefined) request.output_format = options.outputFormat;
  if (options.outputCompression !== undefined) request.output_compression = options.outputCompression;
  const converted = convertToGeminiImageRequest(request, false, policy);
  const contents = converted.body['contents'] as { role: string; parts: Record<string, unknown>[] }[];
  for (const image of images) {
    contents[0]!.parts.push({
      inlineData: { mimeType: image.mimeType, data: image.data.toString('base64') },
    });
  }
  return converted;
}

/** Imagen's `predict` answer. */
export interface ImagenPredictResponse {
  predictions?:
    | { bytesBase64Encoded?: string | null; mimeType?: string | null; raiFilteredReason?: string | null }[]
    | null;
}

/** A Gemini `generateContent` answer, as far as its images go. */
export interface GeminiImageContentResponse {
  candidates?:
    | {
        content?: {
          parts?:
            | {
                inlineData?: { mimeType?: string | null; data?: string | null } | null;
                text?: string | null;
              }[]
            | null;
        } | null;
        finishReason?: string | null;
      }[]
    | null;
  promptFeedback?: { blockReason?: string | null } | null;
  usageMetadata?: { promptTokenCount?: number | null; candidatesTokenCount?: number | null } | null;
}

/** The images of an answer as OpenAI's `data` entries; a blocked or empty answer is a 400 `content_filter`. */
export function convertGeminiImages(
  answer: ImagenPredictResponse | GeminiImageContentResponse,
  model: string,
  created: number,
): { created: number; data: { b64_json: string; revised_prompt?: string }[] } {
  const data: { b64_json: string; revised_prompt?: string }[] = [];
  if ('predictions' in answer) {
    for (const prediction of answer.predictions ?? []) {
      if (prediction.bytesBase64Encoded) data.push({ b64_json: prediction.bytesBase64Encoded });
    }
  } else {
    const candidate = (answer as GeminiImageContentResponse).candidates?.[0];
    const text = (candidate?.content?.parts ?? [])
      .map((part) => part.text ?? '')
      .join('')
      .trim();
    for (const part of candidate?.content?.parts ?? []) {
      if (part.inlineData?.data)
        data.push({ b64_json: part.inlineData.data, ...(text ? { revised_prompt: text } : {}) });
    }
  }
  if (data.length === 0) {
    throw new GatewayError('GW_ERR_CONTENT_FILTERED', {
      message: `${model} made no image for this prompt (its safety filters may have blocked it).`,
      param: 'prompt',
    });
  }
  return { created, data };
}
