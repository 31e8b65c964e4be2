/**
 * Multipart bodies for tests, written byte by byte so a test controls the order of the parts and can
 * send a body in pieces (or break it).
 */
export type FormPart =
  { name: string; value: string } | { name: string; filename: string; type: string; data: Buffer };

export const TEST_BOUNDARY = 'gateway-test-boundary-7f3a9c';

export function multipartContentType(boundary = TEST_BOUNDARY): string {
  return `multipart/form-data; boundary=${boundary}`;
}

/** The head of a part, its data, and the CRLF that ends it. */
export function encodePart(part: FormPart, boundary = TEST_BOUNDARY): Buffer[] {
  if ('value' in part) {
    return [
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`,
      ),
    ];
  }
  return [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
        `Content-Type: ${part.type}\r\n\r\n`,
    ),
    part.data,
    Buffer.from('\r\n'),
  ];
}

export function multipartEnd(boundary = TEST_BOUNDARY): Buffer {
  return Buffer.from(`--${boundary}--\r\n`);
}

export function multipartBody(parts: FormPart[], boundary = TEST_BOUNDARY): Buffer {
  return Buffer.concat([...parts.flatMap((part) => encodePart(part, boundary)), multipartEnd(boundary)]);
}

/** Bytes that look like nothing in particular and differ at every offset, to catch any reordering. */
export function audioBytes(length: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}
