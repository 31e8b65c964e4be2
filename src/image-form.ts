/**
 * The fields of an image edit or variation form (POST /v1/images/edits, /v1/images/variations),
 * checked one at a time as they arrive: the gateway never waits for the whole form, whose images
 * may be 25 MB. Fields the gateway does not know pass through to OpenAI-type providers.
 * @see https://platform.openai.com/docs/api-reference/images/createEdit
 * @see https://platform.openai.com/docs/api-reference/images/createVariation
 */
import type { IMAGE_UPLOAD_TYPES, ImageUploadEndpoint } from '../schemas/images.js';
import { GatewayError } from './errors.js';
import { boolean, integerBetween, nonEmpty, oneOf, checkFormField, type FieldRule } from './form-fields.js';
import type { FormField } from './provider.js';

/** The file fields of each form: the images, and an edit's mask. */
export const IMAGE_FILE_FIELDS: Readonly<Record<ImageUploadEndpoint, readonly string[]>> = {
  imageEdit: ['image', 'image[]', 'mask'],
  imageVariation: ['image'],
};

const refuseStream = (field: FormField) => {
  boolean(field);
  if (field.value === 'true') {
    throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', {
      message:
        "Streamed image edits (partial images as server-sent events) are not served by the gateway: leave 'stream' out or set it to false.",
      param: 'stream',
    });
  }
};

const SHARED: Record<string, FieldRule> = {
  model: { check: nonEmpty(256), single: true },
  n: { check: integerBetween(1, 10), single: true },
  size: { check: nonEmpty(32), single: true },
  response_format: { check: oneOf(['url', 'b64_json']), single: true },
  user: { check: () => {}, single: true },
};

const RULES: Record<ImageUploadEndpoint, Record<string, FieldRule>> = {
  imageEdit: {
    ...SHARED,
    prompt: { check: nonEmpty(32_000), single: true },
    quality: { check: nonEmpty(32), single: true },
    background: { check: oneOf(['transparent', 'opaque', 'auto']), single: true },
    output_format: { check: oneOf(['png', 'jpeg', 'webp']), single: true },
    output_compression: { check: integerBetween(0, 100), single: true },
    input_fidelity: { check: oneOf(['high', 'low']), single: true },
    stream: { check: refuseStream, single: true },
    partial_images: { check: integerBetween(0, 3), single: true },
  },
  imageVariation: SHARED,
};

/**
 * Checks one text field of an image form. `seen` holds the names already read, to refuse a repeat.
 */
export function checkImageField(endpoint: ImageUploadEndpoint, field: FormField, seen: Set<string>): void {
  checkFormField(RULES[endpoint], IMAGE_FILE_FIELDS[endpoint], field, seen);
}

/** The options of an image edit, read from its checked fields (for adapters that translate it). */
export interface ImageEditOptions {
  prompt: string | undefined;
  n: number | undefined;
  size: string | undefined;
  quality: string | undefined;
  responseFormat: string | undefined;
  background: string | undefined;
  outputFormat: string | undefined;
  outputCompression: number | undefined;
  inputFidelity: string | undefined;
  user: string | undefined;
}

export function readImageEditOptions(fields: readonly FormField[]): ImageEditOptions {
  const value = (name: string) => fields.find((field) => field.name === name)?.value;
  const number = (name: string) => {
    const text = value(name);
    return text === undefined ? undefined : Number(text);
  };
  return {
    prompt: value('prompt'),
    n: number('n'),
    size: value('size'),
    quality: value('quality'),
    responseFormat: value('response_format'),
    background: value('background'),
    outputFormat: value('output_format'),
    outputCompression: number('output_compression'),
    inputFidelity: value('input_fidelity'),
    user: value('user'),
  };
}

/**
 * The type of an image by its first bytes (PNG, JPEG, WebP: the formats an image form takes), or
 * undefined for anything else: a client's declared content type is not trusted with bytes a
 * provider will decode.
 * @see https://www.w3.org/TR/png-3/#5PNG-file-signature
 * @see https://developers.google.com/speed/webp/docs/riff_container
 */
export function imageTypeOf(bytes: Buffer): (typeof IMAGE_UPLOAD_TYPES)[number] | undefined {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a) {
    return 'image/png';
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 12 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'image/webp';
  }
  return undefined;
}
