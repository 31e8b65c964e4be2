/**
 * Reads the multipart form of a transcription or translation as it arrives (@fastify/multipart, which
 * parses with busboy) and hands the provider an AudioUpload whose file is a stream: the audio is never
 * held whole in memory.
 *
 * The provider instance, and so where the bytes go, depends on `model`:
 * - `model` before the file (the Python SDK's order, `curl -F model=… -F file=@…`): the file is
 *   streamed on to the provider while it arrives; fields after the file follow it.
 * - the file first (the order of the Node SDK's examples): the file is written to a private temporary
 *   file while the rest of the form arrives, then streamed from there, and the file is removed when
 *   the request ends.
 * Either way no more than MAX_AUDIO_FILE_BYTES is accepted: past it the upload fails with a 413 and an
 * upstream request already under way is aborted.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import {
  MAX_AUDIO_FIELD_BYTES,
  MAX_AUDIO_FIELDS,
  MAX_AUDIO_FIELDS_BYTES,
  MAX_AUDIO_FILE_BYTES,
  type AudioEndpoint,
} from '../../schemas/audio.js';
import { checkAudioField } from '../audio-form.js';
import { GatewayError } from '../errors.js';
import type { AudioUpload, FormField } from '../provider.js';
import { MultipartForm } from './multipart-form.js';

/** An upload being received. */
export interface IncomingUpload {
  /** The model the form names. */
  readonly model: string;
  /** The upload for one attempt: a spooled file is read afresh each time; a live one only once. */
  open(): AudioUpload;
  /** True when the file is streamed as it arrives (it cannot be sent twice). */
  readonly live: boolean;
  /** The upload's own failure (too large, broken form, client gone): it explains a failed call best. */
  failure(): unknown;
  /** Stops reading the form, discards what the client still sends, removes a temporary file. */
  close(): Promise<void>;
}

function secondFile(): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_VALIDATION', {
    message: "The form holds more than one file; send the audio as the one 'file' part.",
    param: 'file',
  });
}

function fileTooLarge(): GatewayError {
  return new GatewayError('GW_ERR_AUDIO_FILE_TOO_LARGE', { param: 'file' });
}

export async function receiveAudioUpload(
  request: FastifyRequest,
  endpoint: AudioEndpoint,
): Promise<IncomingUpload> {
  if (!request.isMultipart()) throw new GatewayError('GW_ERR_AUDIO_NOT_MULTIPART', { param: 'file' });

  const form = new MultipartForm(request, {
    limits: {
      fileBytes: MAX_AUDIO_FILE_BYTES,
      files: 1,
      fields: MAX_AUDIO_FIELDS,
      fieldBytes: MAX_AUDIO_FIELD_BYTES,
      fieldsBytes: MAX_AUDIO_FIELDS_BYTES,
    },
    filesLabel: 'the file',
    invalidForm: 'GW_ERR_AUDIO_INVALID_FORM',
    fileTooLarge,
    tooManyFiles: secondFile,
    checkField: (field, seen) => checkAudioField(endpoint, field, seen),
  });

  /** Reads the fields up to the end of the form; a second file is refused. */
  const readRemainingFields = async (): Promise<FormField[]> => {
    const fields: FormField[] = [];
    for (let part = await form.next(); part; part = await form.next()) {
      if (part.type === 'file') {
        part.file.resume();
        throw form.fail(secondFile());
      }
      fields.push(form.readField(part));
    }
    return fields;
  };

  /** The file part's bytes, counted against the limit, with the form's failures made catalogue errors. */
  async function* guard(source: Readable): AsyncGenerator<Buffer, void, undefined> {
    let size = 0;
    try {
      for await (const chunk of source) {
        size += (chunk as Buffer).length;
        if (size > MAX_AUDIO_FILE_BYTES) throw fileTooLarge();
        yield chunk as Buffer;
      }
    } catch (error) {
      throw form.fail(error);
    }
  }

  try {
    const leading: FormField[] = [];
    let part = await form.next();
    for (; part && part.type === 'field'; part = await form.next()) leading.push(form.readField(part));
    if (!part) {
      throw form.fail(
        new GatewayError('GW_ERR_REQUEST_VALIDATION', {
          message: "Missing required parameter: 'file' (the audio, as a file part of the form).",
          param: 'file',
          code: 'missing_required_parameter',
        }),
      );
    }
    if (part.fieldname !== 'file') {
      part.file.resume();
      throw form.fail(
        new GatewayError('GW_ERR_REQUEST_VALIDATION', {
          message: `Unrecognized file field '${part.fieldname}': the audio goes in the 'file' field.`,
          param: part.fieldname,
          code: 'unknown_parameter',
        }),
      );
    }
    const filename = part.filename || 'audio';
    const contentType = part.mimetype || 'application/octet-stream';
    const model = leading.find((field) => field.name === 'model')?.value;

    if (model !== undefined) {
      form.fileStream = Readable.from(guard(part.file), { objectMode: false });
      let trailing: Promise<FormField[]> | undefined;
      const upload: AudioUpload = {
        file: { stream: form.fileStream, filename, contentType, size: undefined },
        fields: leading,
        fieldsAfterFile: () => (trailing ??= readRemainingFields()),
      };
      let opened = false;
      return {
        model,
        live: true,
        open() {
          if (opened) throw form.failure ?? new Error('a live upload can be sent once');
          opened = true;
          return upload;
        },
        failure: () => form.failure,
        close: form.close,
      };
    }

    // The file came before `model`: keep it on disk until the form says where it goes.
    form.spoolDirectory = await mkdtemp(join(tmpdir(), 'llm-gateway-upload-'));
    const path = join(form.spoolDirectory, 'audio');
    await pipeline(guard(part.file), createWriteStream(path, { mode: 0o600 }));
    const fields = [...leading, ...(await readRemainingFields())];
    const named = fields.find((field) => field.name === 'model')?.value;
    if (named === undefined) {
      throw form.fail(
        new GatewayError('GW_ERR_REQUEST_VALIDATION', {
          message: "Missing required parameter: 'model'.",
          param: 'model',
          code: 'missing_required_parameter',
        }),
      );
    }
    const { size } = await stat(path);
    return {
      model: named,
      live: false,
      open() {
        form.fileStream = createReadStream(path);
        return {
          file: { stream: form.fileStream, filename, contentType, size },
          fields,
          fieldsAfterFile: async () => [],
        };
      },
      failure: () => form.failure,
      close: form.close,
    };
  } catch (error) {
    await form.close();
    throw form.failure ?? form.fail(error);
  }
}
