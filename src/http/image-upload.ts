/**
 * Reads the multipart form of an image edit or variation as it arrives (@fastify/multipart, which
 * parses with busboy) and hands the provider an ImageUpload whose files are streams: the images
 * are never held whole in memory by the gateway (an adapter that must send them inline reads them).
 *
 * The provider instance, and so where the bytes go, depends on `model`:
 * - `model` before the first image (`curl -F model=… -F image=@…`): the form is streamed on to the
 *   provider while it arrives, part by part; it can be sent once only.
 * - an image first, or no `model` (the model is then OpenAI's default, dall-e-2): the images are
 *   written to private temporary files while the rest of the form arrives, then read from there for
 *   each attempt (so the call can fail over), and removed when the request ends.
 * Either way no more than MAX_IMAGE_UPLOAD_BYTES of images (all files together) is accepted: past
 * it the upload fails with a 413 and an upstream request already under way is aborted.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import {
  DEFAULT_IMAGE_MODEL,
  IMAGE_UPLOAD_TYPES,
  MAX_IMAGE_FIELD_BYTES,
  MAX_IMAGE_FIELDS,
  MAX_IMAGE_FIELDS_BYTES,
  MAX_IMAGE_FILES,
  MAX_IMAGE_UPLOAD_BYTES,
  type ImageUploadEndpoint,
} from '../../schemas/images.js';
import { GatewayError } from '../errors.js';
import { IMAGE_FILE_FIELDS, checkImageField } from '../image-form.js';
import type { FormField, ImageFormPart, ImageUpload } from '../provider.js';
import { MultipartForm } from './multipart-form.js';

/** An image form being received. */
export interface IncomingImageUpload {
  /** The model the form names, or OpenAI's default when it names none. */
  readonly model: string;
  /** The upload for one attempt: spooled files are read afresh each time; a live form only once. */
  open(): ImageUpload;
  /** True when the form is streamed as it arrives (it cannot be sent twice). */
  readonly live: boolean;
  /** The upload's own failure (too large, broken form, client gone): it explains a failed call best. */
  failure(): unknown;
  /** Stops reading the form, discards what the client still sends, removes temporary files. */
  close(): Promise<void>;
}

const ACCEPTED_TYPES = new Set<string>([...IMAGE_UPLOAD_TYPES, 'application/octet-stream', '']);

function filesTooLarge(param: string): GatewayError {
  return new GatewayError('GW_ERR_IMAGE_FILE_TOO_LARGE', { param });
}

function tooManyFiles(): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_VALIDATION', {
    message: `The form holds more than ${MAX_IMAGE_FILES} images; send at most ${MAX_IMAGE_FILES} (and one mask).`,
    param: 'image',
  });
}

function missingImage(): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_VALIDATION', {
    message: "Missing required parameter: 'image' (the image, as a file part of the form).",
    param: 'image',
    code: 'missing_required_parameter',
  });
}

/** The checks of a file part's field name and declared type, and of the count of files. */
function fileChecker(endpoint: ImageUploadEndpoint): (part: MultipartFile) => void {
  let images = 0;
  let masks = 0;
  return (part) => {
    const name = part.fieldname;
    if (!IMAGE_FILE_FIELDS[endpoint].includes(name)) {
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Unrecognized file field '${name}': the image goes in the 'image' field${endpoint === 'imageEdit' ? " (several as 'image' or 'image[]'), the mask in 'mask'" : ''}.`,
        param: name,
        code: 'unknown_parameter',
      });
    }
    if (name === 'mask') masks++;
    else images++;
    if (masks > 1) {
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: "The form holds more than one 'mask'; send one.",
        param: 'mask',
      });
    }
    if (images > (endpoint === 'imageEdit' ? MAX_IMAGE_FILES : 1)) {
      if (endpoint === 'imageEdit') throw tooManyFiles();
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: "A variation is made of one image; send one 'image'.",
        param: 'image',
      });
    }
    const type = (part.mimetype ?? '').split(';')[0]!.trim().toLowerCase();
    if (!ACCEPTED_TYPES.has(type)) {
      throw new GatewayError('GW_ERR_MEDIA_UNSUPPORTED_TYPE', {
        message: `The '${name}' file is ${type}; images are accepted as ${IMAGE_UPLOAD_TYPES.join(', ')}.`,
        param: name,
      });
    }
  };
}

/** A file received whole before the call. */
interface SpooledFile {
  readonly name: string;
  readonly filename: string;
  readonly contentType: string;
  readonly path: string;
  readonly size: number;
}

export async function receiveImageUpload(
  request: FastifyRequest,
  endpoint: ImageUploadEndpoint,
): Promise<IncomingImageUpload> {
  if (!request.isMultipart()) throw new GatewayError('GW_ERR_IMAGE_NOT_MULTIPART', { param: 'image' });

  const form = new MultipartForm(request, {
    limits: {
      fileBytes: MAX_IMAGE_UPLOAD_BYTES,
      files: MAX_IMAGE_FILES + 2,
      fields: MAX_IMAGE_FIELDS,
      fieldBytes: MAX_IMAGE_FIELD_BYTES,
      fieldsBytes: MAX_IMAGE_FIELDS_BYTES,
    },
    filesLabel: 'the images',
    invalidForm: 'GW_ERR_IMAGE_INVALID_FORM',
    fileTooLarge: () => filesTooLarge('image'),
    tooManyFiles,
    checkField: (field, seen) => checkImageField(endpoint, field, seen),
  });

  const checkFile = fileChecker(endpoint);
  const acceptFile = (part: MultipartFile) => {
    try {
      checkFile(part);
    } catch (error) {
      part.file.resume();
      throw form.fail(error);
    }
  };

  /** A file part's bytes, counted against the limit of all files, with the form's failures made catalogue errors. */
  let received = 0;
  async function* guard(source: Readable, name: string): AsyncGenerator<Buffer, void, undefined> {
    try {
      for await (const chunk of source) {
        received += (chunk as Buffer).length;
        if (received > MAX_IMAGE_UPLOAD_BYTES) throw filesTooLarge(name);
        yield chunk as Buffer;
      }
    } catch (error) {
      throw form.fail(error);
    }
  }

  const filePart = (part: MultipartFile): ImageFormPart => {
    form.fileStream = Readable.from(guard(part.file, part.fieldname), { objectMode: false });
    return {
      kind: 'file',
      name: part.fieldname,
      file: {
        stream: form.fileStream,
        filename: part.filename || 'image',
        contentType: part.mimetype || 'application/octet-stream',
        size: undefined,
      },
    };
  };

  try {
    const leading: FormField[] = [];
    let part = await form.next();
    for (; part && part.type === 'field'; part = await form.next()) leading.push(form.readField(part));
    if (!part) throw form.fail(missingImage());
    acceptFile(part);
    const model = leading.find((field) => field.name === 'model')?.value;

    if (model !== undefined) {
      const first = part;
      async function* live(): AsyncGenerator<ImageFormPart, void, undefined> {
        for (const field of leading) yield { kind: 'field', field };
        yield filePart(first);
        for (let following = await form.next(); following; following = await form.next()) {
          if (following.type === 'file') {
            acceptFile(following);
            yield filePart(following);
          } else {
            yield { kind: 'field', field: form.readField(following) };
          }
        }
      }
      let opened = false;
      return {
        model,
        live: true,
        open() {
          if (opened) throw form.failure ?? new Error('a live upload can be sent once');
          opened = true;
          return { parts: live(), namesModel: true };
        },
        failure: () => form.failure,
        close: form.close,
      };
    }

    // An image came before `model`: keep the images on disk until the form says where they go.
    form.spoolDirectory = await mkdtemp(join(tmpdir(), 'llm-gateway-images-'));
    const order: ({ kind: 'field'; field: FormField } | { kind: 'file'; file: SpooledFile })[] = leading.map(
      (field) => ({ kind: 'field', field }),
    );
    let checked = true; // the first image was checked above
    for (; part; part = await form.next()) {
      if (part.type === 'field') {
        order.push({ kind: 'field', field: form.readField(part) });
        continue;
      }
      if (!checked) acceptFile(part);
      checked = false;
      const path = join(form.spoolDirectory, `image-${order.length}`);
      const before = received;
      await pipeline(guard(part.file, part.fieldname), createWriteStream(path, { mode: 0o600 }));
      order.push({
        kind: 'file',
        file: {
          name: part.fieldname,
          filename: part.filename || 'image',
          contentType: part.mimetype || 'application/octet-stream',
          path,
          size: received - before,
        },
      });
    }
    const fields = order.flatMap((entry) => (entry.kind === 'field' ? [entry.field] : []));
    if (endpoint === 'imageEdit' && !fields.some((field) => field.name === 'prompt')) {
      throw form.fail(
        new GatewayError('GW_ERR_REQUEST_VALIDATION', {
          message: "Missing required parameter: 'prompt'.",
          param: 'prompt',
          code: 'missing_required_parameter',
        }),
      );
    }
    if (!order.some((entry) => entry.kind === 'file' && entry.file.name !== 'mask'))
      throw form.fail(missingImage());
    const named = fields.find((field) => field.name === 'model')?.value;
    async function* spooled(): AsyncGenerator<ImageFormPart, void, undefined> {
      for (const entry of order) {
        if (entry.kind === 'field') {
          yield entry;
          continue;
        }
        const { file } = entry;
        form.fileStream = createReadStream(file.path);
        yield {
          kind: 'file',
          name: file.name,
          file: {
            stream: form.fileStream,
            filename: file.filename,
            contentType: file.contentType,
            size: file.size,
          },
        };
      }
    }
    return {
      model: named ?? DEFAULT_IMAGE_MODEL,
      live: false,
      open: () => ({ parts: spooled(), namesModel: named !== undefined }),
      failure: () => form.failure,
      close: form.close,
    };
  } catch (error) {
    await form.close();
    throw form.failure ?? form.fail(error);
  }
}
