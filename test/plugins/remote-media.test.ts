/**
 * Media downloads against a real loopback server: size limit, content type, status, redirects
 * (each hop checked), timeout, cancellation, and a name whose answer changes between the check and
 * the connection. The address policy lets only 127.0.0.1 through, so every refused hop is refused
 * before a connection, and only loopback traffic is ever sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayError } from '../../src/errors.js';
import { RemoteMedia, type FetchMediaRequest } from '../../src/remote-media.js';
import { ClientClosed } from '../../src/upstream.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
let server: Server;
let port = 0;
const hits: string[] = [];
let rebindCalls = 0;
let slowActive = 0;
let slowPeak = 0;
let releaseSlow!: () => void;
const slowRelease = new Promise<void>((resolve) => (releaseSlow = resolve));

const DNS: Record<string, () => string> = {
  'media.test': () => '127.0.0.1',
  'metadata.test': () => '169.254.169.254',
  // First answer public-looking (allowed by the test policy), then a metadata address.
  'rebind.test': () => (rebindCalls++ === 0 ? '127.0.0.1' : '169.254.169.254'),
};

async function resolve(hostname: string): Promise<LookupAddress[]> {
  const answer = DNS[hostname];
  if (!answer) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return [{ address: answer(), family: 4 }];
}

const media = new RemoteMedia(
  {
    maxBytes: 64,
    timeoutMs: 400,
    allowPrivateNetworks: false,
    maxRedirects: 2,
    maxFilesPerRequest: 3,
    maxBytesPerRequest: 100,
    concurrency: 2,
  },
  { resolve, allowAddress: (address) => address === '127.0.0.1' },
);

function request(overrides: Partial<FetchMediaRequest> = {}): FetchMediaRequest {
  return {
    param: 'messages[0].content[1].image_url.url',
    signal: new AbortController().signal,
    accepts: (mimeType) => mimeType.startsWith('image/'),
    expected: 'an image',
    ...overrides,
  };
}

async function failure(url: string, overrides: Partial<FetchMediaRequest> = {}): Promise<unknown> {
  return media.fetch(url, request(overrides)).then(
    () => {
      throw new Error('the download succeeded');
    },
    (error: unknown) => error,
  );
}

beforeAll(async () => {
  server = createServer((incoming, response) => {
    const path = incoming.url ?? '/';
    hits.push(path);
    if (path === '/cat.png') {
      response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    } else if (path === '/page.html') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html></html>');
    } else if (path === '/big-declared.png') {
      response
        .writeHead(200, { 'content-type': 'image/png', 'content-length': '1000' })
        .end(Buffer.alloc(1000));
    } else if (path === '/big-chunked.png') {
      response.writeHead(200, { 'content-type': 'image/png' });
      for (let index = 0; index < 10; index++) response.write(Buffer.alloc(16));
      response.end();
    } else if (path.startsWith('/sixty-')) {
      response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(60));
    } else if (path.startsWith('/slow-')) {
      slowActive++;
      slowPeak = Math.max(slowPeak, slowActive);
      response.writeHead(200, { 'content-type': 'image/png' });
      void slowRelease.then(() => {
        slowActive--;
        response.end(PNG);
      });
    } else if (path === '/missing.png') {
      response.writeHead(404).end();
    } else if (path === '/redirect') {
      response.writeHead(302, { location: '/cat.png' }).end();
    } else if (path.startsWith('/redirect-to?')) {
      response.writeHead(301, { location: decodeURIComponent(path.slice('/redirect-to?'.length)) }).end();
    } else if (path === '/loop') {
      response.writeHead(302, { location: '/loop' }).end();
    } else if (path === '/hang.png') {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.write(PNG.subarray(0, 4));
    } else {
      response.writeHead(500).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await media.close();
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

describe('downloads', () => {
  it('returns the bytes and the declared type', async () => {
    const fetched = await media.fetch(`http://media.test:${port}/cat.png`, request());
    expect(fetched).toEqual({ mimeType: 'image/png', data: PNG });
  });

  it('follows a redirect on an allowed host', async () => {
    hits.length = 0;
    const fetched = await media.fetch(`http://127.0.0.1:${port}/redirect`, request());
    expect(fetched.data).toEqual(PNG);
    expect(hits).toEqual(['/redirect', '/cat.png']);
  });

  it('refuses a content type the part does not take', async () => {
    const error = (await failure(`http://media.test:${port}/page.html`)) as GatewayError;
    expect(error.gatewayCode).toBe('GW_ERR_MEDIA_UNSUPPORTED_TYPE');
    expect(error.message).toContain("'text/html'");
    expect(error.param).toBe('messages[0].content[1].image_url.url');
  });

  it.each(['/big-declared.png', '/big-chunked.png'])('refuses %s, larger than the limit', async (path) => {
    const error = (await failure(`http://media.test:${port}${path}`)) as GatewayError;
    expect(error.gatewayCode).toBe('GW_ERR_MEDIA_TOO_LARGE');
    expect(error.statusCode).toBe(400);
  });

  it('reports an error status', async () => {
    const error = (await failure(`http://media.test:${port}/missing.png`)) as GatewayError;
    expect(error.gatewayCode).toBe('GW_ERR_MEDIA_FETCH_FAILED');
    expect(error.message).toContain('HTTP 404');
  });

  it('stops after too many redirects', async () => {
    const error = (await failure(`http://media.test:${port}/loop`)) as GatewayError;
    expect(error.gatewayCode).toBe('GW_ERR_MEDIA_FETCH_FAILED');
    expect(error.message).toContain('more than 2 redirects');
  });

  it('gives up at the timeout', async () => {
    const error = (await failure(`http://media.test:${port}/hang.png`)) as GatewayError;
    expect(error.gatewayCode).toBe('GW_ERR_MEDIA_FETCH_FAILED');
    expect(error.message).toContain('400 ms');
  });

  it('stops when the call is cancelled', async () => {
    const controller = new AbortController();
    const pending = failure(`http://media.test:${port}/hang.png`, { signal: controller.signal });
    controller.abort(new ClientClosed('gone'));
    expect(await pending).toBeInstanceOf(ClientClosed);
  });
});

describe('redirects and names are checked at every hop', () => {
  it.each([
    ['http://metadata.test/latest/meta-data/', '169.254.169.254'],
    ['http://10.0.0.1/secret.png', '10.0.0.1'],
    ['http://[::ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe'],
  ])('refuses a redirect to %s', async (target, address) => {
    hits.length = 0;
    const error = (await failure(
      `http://media.test:${port}/redirect-to?${encodeURIComponent(target)}`,
    )) as GatewayError;
    expect(error.gatewayCode).toBe('GW_ERR_MEDIA_URL_FORBIDDEN');
    expect(error.message).toContain(address);
    expect(hits).toHaveLength(1);
  });

  it('refuses a name whose answer changes between the check and the connection', async () => {
    hits.length = 0;
    rebindCalls = 0;
    const error = (await failure(`http://rebind.test:${port}/cat.png`)) as GatewayError;
    expect(rebindCalls).toBe(2);
    expect(error.gatewayCode).toBe('GW_ERR_MEDIA_URL_FORBIDDEN');
    expect(error.message).toContain('169.254.169.254');
    expect(hits).toEqual([]);
  });
});

describe('the downloads of one request', () => {
  it('downloads a URL once however many attempts ask for it', async () => {
    const scope = { signal: new AbortController().signal };
    const before = hits.filter((hit) => hit === '/cat.png').length;
    const [first, second] = await Promise.all([
      media.fetch(`http://media.test:${port}/cat.png`, request({ scope })),
      media.fetch(`http://media.test:${port}/cat.png`, request({ scope })),
    ]);
    expect(first.data).toEqual(PNG);
    expect(second).toBe(first);
    expect(hits.filter((hit) => hit === '/cat.png').length - before).toBe(1);
  });

  it('stops at the number of files and the bytes one request may download', async () => {
    const scope = { signal: new AbortController().signal };
    await media.fetch(`http://media.test:${port}/cat.png`, request({ scope }));
    await media.fetch(`http://media.test:${port}/sixty-1.png`, request({ scope }));
    const overBudget = await media
      .fetch(`http://media.test:${port}/sixty-2.png`, request({ scope }))
      .catch((error: unknown) => error as GatewayError);
    expect((overBudget as GatewayError).gatewayCode).toBe('GW_ERR_MEDIA_TOO_MANY');
    expect((overBudget as GatewayError).message).toContain('100 bytes');
    const tooMany = await media
      .fetch(`http://media.test:${port}/redirect`, request({ scope }))
      .catch((error: unknown) => error as GatewayError);
    expect((tooMany as GatewayError).gatewayCode).toBe('GW_ERR_MEDIA_TOO_MANY');
    expect((tooMany as GatewayError).message).toContain('more than 3 media URLs');
  });

  it('keeps at most media.concurrency downloads of a request under way', async () => {
    const scope = { signal: new AbortController().signal };
    const downloads = [1, 2, 3].map((index) =>
      media.fetch(`http://media.test:${port}/slow-${index}.png`, request({ scope })),
    );
    await expect.poll(() => slowActive).toBe(2);
    releaseSlow();
    await Promise.all(downloads);
    expect(slowPeak).toBe(2);
  });
});
