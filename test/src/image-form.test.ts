/**
 * The fields of an image edit or variation form, checked one at a time, and an image's type read
 * from its bytes.
 */
import { describe, expect, it } from 'vitest';
import { checkImageField, imageTypeOf, readImageEditOptions } from '../../src/image-form.js';
import { makePng } from '../helpers/png.js';

function check(
  name: string,
  value: string,
  seen = new Set<string>(),
  endpoint: 'imageEdit' | 'imageVariation' = 'imageEdit',
) {
  checkImageField(endpoint, { name, value }, seen);
}

describe('checkImageField', () => {
  it('takes the fields of an edit as OpenAI defines them, and unknown ones as they are', () => {
    const seen = new Set<string>();
    for (const [name, value] of [
      ['model', 'gpt-image-1'],
      ['prompt', 'A cat'],
      ['n', '2'],
      ['size', '1024x1024'],
      ['response_format', 'b64_json'],
      ['background', 'transparent'],
      ['output_format', 'webp'],
      ['output_compression', '80'],
      ['input_fidelity', 'high'],
      ['stream', 'false'],
      ['something_new', 'anything'],
    ] as const) {
      expect(() => check(name, value, seen)).not.toThrow();
    }
  });

  it('refuses wrong values, repeats, files sent as text and streaming, naming the field', () => {
    expect(() => check('n', '0')).toThrow(expect.objectContaining({ param: 'n', statusCode: 400 }));
    expect(() => check('n', '1.5')).toThrow(expect.objectContaining({ param: 'n', code: 'invalid_type' }));
    expect(() => check('output_compression', '101')).toThrow(
      expect.objectContaining({ param: 'output_compression' }),
    );
    expect(() => check('response_format', 'png')).toThrow(
      expect.objectContaining({ param: 'response_format' }),
    );
    expect(() => check('input_fidelity', 'medium')).toThrow(
      expect.objectContaining({ param: 'input_fidelity' }),
    );
    expect(() => check('image', 'not a file')).toThrow(expect.objectContaining({ param: 'image' }));
    expect(() => check('mask', 'not a file')).toThrow(expect.objectContaining({ param: 'mask' }));
    expect(() => check('stream', 'true')).toThrow(
      expect.objectContaining({ param: 'stream', gatewayCode: 'GW_ERR_REQUEST_UNSUPPORTED_PARAMETER' }),
    );
    const seen = new Set<string>();
    check('prompt', 'one', seen);
    expect(() => check('prompt', 'two', seen)).toThrow(expect.objectContaining({ param: 'prompt' }));
  });

  it("checks a variation's fields: no prompt rule, a mask is an unknown field there", () => {
    expect(() => check('n', '11', new Set(), 'imageVariation')).toThrow(
      expect.objectContaining({ param: 'n' }),
    );
    expect(() => check('mask', 'x', new Set(), 'imageVariation')).not.toThrow();
  });
});

describe('readImageEditOptions', () => {
  it('reads the checked fields, numbers as numbers', () => {
    expect(
      readImageEditOptions([
        { name: 'prompt', value: 'A cat' },
        { name: 'n', value: '1' },
        { name: 'output_compression', value: '50' },
        { name: 'input_fidelity', value: 'low' },
      ]),
    ).toMatchObject({ prompt: 'A cat', n: 1, outputCompression: 50, inputFidelity: 'low', size: undefined });
  });
});

describe('imageTypeOf', () => {
  it('knows PNG, JPEG and WebP by their first bytes, and nothing else', () => {
    expect(imageTypeOf(makePng(1, 1, [0, 0, 0]))).toBe('image/png');
    expect(imageTypeOf(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toBe('image/jpeg');
    expect(imageTypeOf(Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('image/webp');
    expect(imageTypeOf(Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'))).toBeUndefined();
    expect(imageTypeOf(Buffer.from('GIF89a'))).toBeUndefined();
    expect(imageTypeOf(Buffer.alloc(0))).toBeUndefined();
  });
});
