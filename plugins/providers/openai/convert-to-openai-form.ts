/**
 * The multipart form an OpenAI-type upstream receives for a transcription or translation: the
 * client's fields in their order (only `model` set to the upstream name), then the file streamed as
 * it arrives, then the fields the client sent after the file. An image edit or variation is relayed
 * the same way, its parts (fields and images) in the client's order.
 *
 * Written here rather than with FormData or form-data-encoder: both need the file whole, or its size,
 * before the body starts, and the file is still arriving when it must be sent on.
 * @see https://www.rfc-editor.org/rfc/rfc7578 (multipart/form-data)
 * @see https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#multipart-form-data
 */
import { randomBytes } from 'node:crypto';
import type { AudioUpload, FormField, ImageUpload } from '../../../src/provider.js';

export interface OpenAIForm {
  readonly contentType: string;
  readonly body: AsyncGenerator<Buffer, void, undefined>;
}

const CRLF = Buffer.from('\r\n');

/** Quotes a name for Content-Disposition as browsers do: `"`, CR and LF percent-encoded. */
function quoted(name: string): string {
  return name.replaceAll('"', '%22').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

export function convertToOpenAIForm(upload: AudioUpload, upstreamModel: string): OpenAIForm {
  const boundary = `----llm-gateway-${randomBytes(16).toString('hex')}`;
  const delimiter = `--${boundary}\r\n`;
  const fieldPart = (field: FormField) =>
    Buffer.from(
      `${delimiter}Content-Disposition: form-data; name="${quoted(field.name)}"\r\n\r\n` +
        `${field.name === 'model' ? upstreamModel : field.value}\r\n`,
    );

  async function* body(): AsyncGenerator<Buffer, void, undefined> {
    for (const field of upload.fields) yield fieldPart(field);
    const { file } = upload;
    yield Buffer.from(
      `${delimiter}Content-Disposition: form-data; name="file"; filename="${quoted(file.filename)}"\r\n` +
        `Content-Type: ${file.contentType}\r\n\r\n`,
    );
    for await (const chunk of file.stream) yield chunk as Buffer;
    yield CRLF;
    for (const field of await upload.fieldsAfterFile()) yield fieldPart(field);
    yield Buffer.from(`--${boundary}--\r\n`);
  }

  return { contentType: `multipart/form-data; boundary=${boundary}`, body: body() };
}

/** An image edit or variation's form: its parts in order, `model` set (first, when the client named none). */
export function convertImageUploadToOpenAIForm(upload: ImageUpload, upstreamModel: string): OpenAIForm {
  const boundary = `----llm-gateway-${randomBytes(16).toString('hex')}`;
  const delimiter = `--${boundary}\r\n`;
  const fieldPart = (name: string, value: string) =>
    Buffer.from(`${delimiter}Content-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`);

  async function* body(): AsyncGenerator<Buffer, void, undefined> {
    if (!upload.namesModel) yield fieldPart('model', upstreamModel);
    for await (const part of upload.parts) {
      if (part.kind === 'field') {
        const { name, value } = part.field;
        yield fieldPart(name, name === 'model' ? upstreamModel : value);
        continue;
      }
      const { file } = part;
      yield Buffer.from(
        `${delimiter}Content-Disposition: form-data; name="${quoted(part.name)}"; filename="${quoted(file.filename)}"\r\n` +
          `Content-Type: ${file.contentType}\r\n\r\n`,
      );
      for await (const chunk of file.stream) yield chunk as Buffer;
      yield CRLF;
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }

  return { contentType: `multipart/form-data; boundary=${boundary}`, body: body() };
}
