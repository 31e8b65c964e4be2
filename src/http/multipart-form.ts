/**
 * One multipart form being read, for the upload routes (audio, images): @fastify/multipart's parts
 * with the route's limits, its fields checked and counted as they arrive, busboy's and the plugin's
 * errors turned into the catalogue's, and `close` for every way the request ends: what the client
 * still sends is drained, a file stream open on the form destroyed, a private spool folder removed.
 * The first failure is kept: it explains a failed call best.
 */
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { GatewayError, type ErrorCode } from '../errors.js';
import type { FormField } from '../provider.js';
import { ClientClosed } from '../upstream.js';

export interface MultipartFormRules {
  /** Bytes of all files; files; fields; bytes of one field; bytes of all fields. */
  limits: { fileBytes: number; files: number; fields: number; fieldBytes: number; fieldsBytes: number };
  /** What the form carries besides its fields, for messages: "the file", "the images". */
  filesLabel: string;
  /** The route's error for a malformed form. */
  invalidForm: ErrorCode;
  fileTooLarge(): GatewayError;
  tooManyFiles(): GatewayError;
  /** The route's check of one field; `seen` holds the names read before it. */
  checkField(field: FormField, seen: Set<string>): void;
}

export class MultipartForm {
  /** The file stream handed to the provider, destroyed on close. */
  fileStream: Readable | undefined;
  /** A private folder of spooled files, removed on close. */
  spoolDirectory: string | undefined;
  readonly #request: FastifyRequest;
  readonly #rules: MultipartFormRules;
  readonly #parts: AsyncIterableIterator<Multipart>;
  readonly #seen = new Set<string>();
  #fieldBytes = 0;
  #failure: unknown;
  #closed = false;

  constructor(request: FastifyRequest, rules: MultipartFormRules) {
    this.#request = request;
    this.#rules = rules;
    const { limits } = rules;
    this.#parts = request.parts({
      limits: {
        fileSize: limits.fileBytes + 1,
        files: limits.files,
        fields: limits.fields,
        fieldSize: limits.fieldBytes + 1,
        parts: limits.fields + limits.files,
      },
    });
  }

  /** The form's first failure, if any. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Keeps the first failure, in the catalogue's terms, and returns it to be thrown. */
  fail(error: unknown): unknown {
    this.#failure ??= this.#describe(error);
    return this.#failure;
  }

  async next(): Promise<Multipart | undefined> {
    try {
      const result = await this.#parts.next();
      return result.done ? undefined : result.value;
    } catch (error) {
      throw this.fail(error);
    }
  }

  readField(part: Multipart & { type: 'field' }): FormField {
    const { limits, filesLabel } = this.#rules;
    const value = typeof part.value === 'string' ? part.value : JSON.stringify(part.value);
    if (part.valueTruncated || part.fieldnameTruncated) {
      throw this.fail(
        new GatewayError('GW_ERR_REQUEST_TOO_LARGE', {
          message: `The form field '${part.fieldname}' is longer than ${limits.fieldBytes} bytes.`,
          param: part.fieldname,
        }),
      );
    }
    this.#fieldBytes += part.fieldname.length + Buffer.byteLength(value);
    if (this.#fieldBytes > limits.fieldsBytes) {
      throw this.fail(
        new GatewayError('GW_ERR_REQUEST_TOO_LARGE', {
          message: `The form's fields besides ${filesLabel} are larger than ${limits.fieldsBytes} bytes.`,
        }),
      );
    }
    const field = { name: part.fieldname, value };
    try {
      this.#rules.checkField(field, this.#seen);
    } catch (error) {
      throw this.fail(error);
    }
    return field;
  }

  /** Ends the form however the request ended; safe to call more than once. */
  readonly close = async (): Promise<void> => {
    if (this.#closed) return;
    this.#closed = true;
    const raw = this.#request.raw;
    // Whatever the client still sends is read and dropped, so it can read the answer and the
    // connection stays usable; nothing waits on a form nobody reads.
    if (!raw.readableEnded) {
      raw.unpipe();
      raw.resume();
    }
    this.fileStream?.destroy();
    // Not awaited: a form cut off above may leave the parser waiting on a part that never comes.
    this.#parts.return?.(undefined).catch(() => {});
    if (this.spoolDirectory) await rm(this.spoolDirectory, { recursive: true, force: true });
  };

  /** busboy's and @fastify/multipart's errors → the catalogue. */
  #describe(error: unknown): unknown {
    if (error instanceof GatewayError || error instanceof ClientClosed) return error;
    const code = (error as { code?: string }).code;
    const message = (error as Error | undefined)?.message ?? '';
    switch (code) {
      case 'FST_MP_PREMATURE_CLOSE':
        return new ClientClosed('The client closed the connection during the upload');
      case 'FST_REQ_FILE_TOO_LARGE':
        return this.#rules.fileTooLarge();
      case 'FST_FILES_LIMIT':
        return this.#rules.tooManyFiles();
      case 'FST_FIELDS_LIMIT':
      case 'FST_PARTS_LIMIT':
        return new GatewayError('GW_ERR_REQUEST_TOO_LARGE', {
          message: `The form has more than ${this.#rules.limits.fields} fields.`,
        });
      case 'FST_PROTO_VIOLATION':
        return new GatewayError(this.#rules.invalidForm, {
          message: 'The form has a field whose name is not allowed.',
        });
      default:
        if ((error as { name?: string }).name === 'AbortError' || message === 'aborted') {
          return new ClientClosed('The client closed the connection during the upload');
        }
        return new GatewayError(this.#rules.invalidForm, {
          message: `The multipart/form-data body is malformed: ${message || 'unreadable'}.`,
          cause: error,
        });
    }
  }
}
