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
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Multipart } from '@fastify/multipart';
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
import { ClientClosed } from '../upstream.js';

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

/** busboy's and @fastify/multipart's errors → the catalogue. */
function describeFormError(error: unknown): unknown {
  if (error instanceof GatewayError || error instanceof ClientClosed) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error | undefined)?.message ?? '';
  switch (code) {
    case 'FST_MP_PREMATURE_CLOSE':
      return new ClientClosed('The client closed the connection during the upload');
    case 'FST_REQ_FILE_TOO_LARGE':
      return fileTooLarge();
    case 'FST_FILES_LIMIT':
      return secondFile();
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new GatewayError('GW_ERR_REQUEST_TOO_LARGE', {
        message: `The form has more than ${MAX_AUDIO_FIELDS} fields.`,
      });
    case 'FST_PROTO_VIOLATION':
      return new GatewayError('GW_ERR_AUDIO_INVALID_FORM', {
        message: 'The form has a field whose name is not allowed.',
      });
    default:
      if ((error as { name?: string }).name === 'AbortError' || message === 'aborted') {
        return new ClientClosed('The client closed the connection during the upload');
      }
      return new GatewayError('GW_ERR_AUDIO_INVALID_FORM', {
        message: `The multipart/form-data body is malformed: ${message || 'unreadable'}.`,
        cause: error,
      });
  }
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

  let failure: unknown;
  const fail = (error: unknown): unknown => {
    failure ??= describeFormError(error);
    return failure;
  };
  const parts = request.parts({
    limits: {
      fileSize: MAX_AUDIO_FILE_BYTES + 1,
      files: 1,
      fields: MAX_AUDIO_FIELDS,
      fieldSize: MAX_AUDIO_FIELD_BYTES + 1,
      parts: MAX_AUDIO_FIELDS + 1,
    },
  });
  let fileStream: Readable | undefined;
  let spoolDirectory: string | undefined;
  let closed = false;

  const close = async () => {
    if (closed) return;
    closed = true;
    const raw = request.raw;
    // Whatever the client still sends is read and dropped, so it can read the answer and the
    // connection stays usable; nothing waits on a form nobody reads.
    if (!raw.readableEnded) {
      raw.unpipe();
      raw.resume();
    }
    fileStream?.destroy();
    // Not awaited: a form cut off above may leave the parser waiting on a part that never comes.
    parts.return?.(undefined).catch(() => {});
    if (spoolDirectory) await rm(spoolDirectory, { recursive: true, force: true });
  };

  const next = async (): Promise<Multipart | undefined> => {
    try {
      const result = await parts.next();
      return result.done ? undefined : result.value;
    } catch (error) {
      throw fail(error);
    }
  };

  const seen = new Set<string>();
  let fieldBytes = 0;
  const readField = (part: Multipart & { type: 'field' }): FormField => {
    const value = typeof part.value === 'string' ? part.value : JSON.stringify(part.value);
    if (part.valueTruncated || part.fieldnameTruncated) {
      throw fail(
        new GatewayError('GW_ERR_REQUEST_TOO_LARGE', {
          message: `The form field '${part.fieldname}' is longer than ${MAX_AUDIO_FIELD_BYTES} bytes.`,
          param: part.fieldname,
        }),
      );
    }
    fieldBytes += part.fieldname.length + Buffer.byteLength(value);
    if (fieldBytes > MAX_AUDIO_FIELDS_BYTES) {
      throw fail(
        new GatewayError('GW_ERR_REQUEST_TOO_LARGE', {
          message: `The form's fields besides the file are larger than ${MAX_AUDIO_FIELDS_BYTES} bytes.`,
        }),
      );
    }
    const field = { name: part.fieldname, value };
    try {
      checkAudioField(endpoint, field, seen);
    } catch (error) {
      throw fail(error);
    }
    return field;
  };

  /** Reads the fields up to the end of the form; a second file is refused. */
  const readRemainingFields = async (): Promise<FormField[]> => {
    const fields: FormField[] = [];
    for (let part = await next(); part; part = await next()) {
      if (part.type === 'file') {
        part.file.resume();
        throw fail(secondFile());
      }
      fields.push(readField(part));
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
      throw fail(error);
    }
  }

  try {
    const leading: FormField[] = [];
    let part = await next();
    for (; part && part.type === 'field'; part = await next()) leading.push(readField(part));
    if (!part) {
      throw fail(
        new GatewayError('GW_ERR_REQUEST_VALIDATION', {
          message: "Missing required parameter: 'file' (the audio, as a file part of the form).",
          param: 'file',
          code: 'missing_required_parameter',
        }),
      );
    }
    if (part.fieldname !== 'file') {
      part.file.resume();
      throw fail(
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
      fileStream = Readable.from(guard(part.file), { objectMode: false });
      let trailing: Promise<FormField[]> | undefined;
      const upload: AudioUpload = {
        file: { stream: fileStream, filename, contentType, size: undefined },
        fields: leading,
        fieldsAfterFile: () => (trailing ??= readRemainingFields()),
      };
      let opened = false;
      return {
        model,
        live: true,
        open() {
          if (opened) throw failure ?? new Error('a live upload can be sent once');
          opened = true;
          return upload;
        },
        failure: () => failure,
        close,
      };
    }

    // The file came before `model`: keep it on disk until the form says where it goes.
    spoolDirectory = await mkdtemp(join(tmpdir(), 'llm-gateway-upload-'));
    const path = join(spoolDirectory, 'audio');
    await pipeline(guard(part.file), createWriteStream(path, { mode: 0o600 }));
    const fields = [...leading, ...(await readRemainingFields())];
    const named = fields.find((field) => field.name === 'model')?.value;
    if (named === undefined) {
      throw fail(
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
        fileStream = createReadStream(path);
        return {
          file: { stream: fileStream, filename, contentType, size },
          fields,
          fieldsAfterFile: async () => [],
        };
      },
      failure: () => failure,
      close,
    };
  } catch (error) {
    await close();
    throw failure ?? fail(error);
  }
}
