/**
 * The address guard of media downloads, on every spelling of the addresses it must refuse, and on
 * names that resolve to them. The DNS lookup is a stand-in, and no request is ever sent: a refused
 * URL fails before any connection is attempted.
 */
import type { LookupAddress } from 'node:dns';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { RemoteMedia, classifyAddress, isAddressAllowed } from '../../src/remote-media.js';

const OPTIONS = {
  maxBytes: 1024,
  timeoutMs: 1000,
  allowPrivateNetworks: false,
  maxRedirects: 2,
  maxFilesPerRequest: 50,
  maxBytesPerRequest: 1024 * 1024,
  concurrency: 4,
};

const DNS: Record<string, string[]> = {
  localhost: ['127.0.0.1', '::1'],
  'metadata.google.internal': ['169.254.169.254'],
  'mixed.example': ['93.184.216.34', '10.0.0.5'],
  'mapped.example': ['::ffff:192.168.1.1'],
  'ula.example': ['fd12:3456::1'],
  'public.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
};

const lookups: string[] = [];
async function resolve(hostname: string): Promise<LookupAddress[]> {
  lookups.push(hostname);
  const addresses = DNS[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
}

const strict = new RemoteMedia(OPTIONS, { resolve });
const relaxed = new RemoteMedia({ ...OPTIONS, allowPrivateNetworks: true }, { resolve });

afterAll(async () => {
  await strict.close();
  await relaxed.close();
});

async function check(media: RemoteMedia, url: string): Promise<GatewayError | undefined> {
  try {
    await media.checkUrl(new URL(url), 'messages[0].content[0].image_url.url');
    return undefined;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
}

describe('addresses the gateway refuses to fetch from', () => {
  it.each([
    ['http://127.0.0.1/a.png', 'loopback, dotted'],
    ['http://2130706433/a.png', 'loopback, one decimal number'],
    ['http://0x7f000001/a.png', 'loopback, one hex number'],
    ['http://0x7f.1/a.png', 'loopback, hex and short form'],
    ['http://017700000001/a.png', 'loopback, one octal number'],
    ['http://0177.0.0.1/a.png', 'loopback, octal first part'],
    ['http://127.1/a.png', 'loopback, short form'],
    ['http://127.255.255.254/a.png', 'loopback, elsewhere in 127/8'],
    ['http://[::1]/a.png', 'IPv6 loopback'],
    ['http://[0:0:0:0:0:0:0:1]/a.png', 'IPv6 loopback, long form'],
    ['http://[::ffff:127.0.0.1]/a.png', 'IPv4-mapped IPv6 loopback'],
    ['http://[::ffff:7f00:1]/a.png', 'IPv4-mapped IPv6 loopback, hex'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/a.png', 'IPv4-mapped IPv6 loopback, long form'],
    ['http://10.0.0.1/a.png', 'private 10/8'],
    ['http://0xa000001/a.png', 'private 10/8, hex'],
    ['http://172.16.5.4/a.png', 'private 172.16/12'],
    ['http://192.168.0.1/a.png', 'private 192.168/16'],
    ['http://3232235521/a.png', 'private 192.168/16, decimal'],
    ['http://[::ffff:c0a8:1]/a.png', 'private, IPv4-mapped'],
    ['http://169.254.169.254/latest/meta-data/', 'cloud metadata, link-local'],
    ['http://2852039166/', 'cloud metadata, decimal'],
    ['http://0251.0376.0251.0376/', 'cloud metadata, octal'],
    ['http://[::ffff:a9fe:a9fe]/', 'cloud metadata, IPv4-mapped'],
    ['http://[fd00:ec2::254]/', 'cloud metadata, IPv6'],
    ['http://100.100.100.200/', 'cloud metadata, carrier-grade NAT'],
    ['http://[fe80::1]/a.png', 'IPv6 link-local'],
    ['http://[fc00::1]/a.png', 'IPv6 unique local'],
    ['http://0/a.png', 'unspecified, one number'],
    ['http://0.0.0.0/a.png', 'unspecified'],
    ['http://[::]/a.png', 'IPv6 unspecified'],
    ['http://[64:ff9b::7f00:1]/a.png', 'NAT64 of loopback'],
    ['http://[2002:7f00:1::]/a.png', '6to4 of loopback'],
    ['http://224.0.0.1/a.png', 'multicast'],
    ['http://255.255.255.255/a.png', 'broadcast'],
  ])('%s (%s)', async (url) => {
    lookups.length = 0;
    const error = await check(strict, url);
    expect(error?.gatewayCode).toBe('GW_ERR_MEDIA_URL_FORBIDDEN');
    expect(error?.statusCode).toBe(400);
    expect(error?.param).toBe('messages[0].content[0].image_url.url');
    // A literal address is judged as it is: no name is looked up.
    expect(lookups).toEqual([]);
  });

  it.each([
    ['http://localhost:8080/a.png', '127.0.0.1'],
    ['http://metadata.google.internal/computeMetadata/v1/', '169.254.169.254'],
    ['http://mixed.example/a.png', '10.0.0.5'],
    ['http://mapped.example/a.png', '::ffff:192.168.1.1'],
    ['http://ula.example/a.png', 'fd12:3456::1'],
  ])('%s, a name that resolves to %s', async (url, address) => {
    const error = await check(strict, url);
    expect(error?.gatewayCode).toBe('GW_ERR_MEDIA_URL_FORBIDDEN');
    expect(error?.message).toContain(address);
  });

  it('refuses a forbidden URL in fetch itself, before any connection', async () => {
    const error = await strict
      .fetch('http://2130706433/a.png', {
        param: 'p',
        signal: new AbortController().signal,
        accepts: () => true,
        expected: 'an image',
      })
      .catch((caught: unknown) => caught);
    expect((error as GatewayError).gatewayCode).toBe('GW_ERR_MEDIA_URL_FORBIDDEN');
  });
});

describe('addresses the gateway fetches from', () => {
  it.each([
    'http://93.184.216.34/a.png',
    'https://[2606:2800:220:1:248:1893:25c8:1946]/a.png',
    'http://public.example/a.png',
  ])('%s', async (url) => {
    expect(await check(strict, url)).toBeUndefined();
  });

  it('lets private networks through when configured, but never metadata or non-hosts', async () => {
    expect(await check(relaxed, 'http://127.0.0.1/a.png')).toBeUndefined();
    expect(await check(relaxed, 'http://localhost/a.png')).toBeUndefined();
    expect(await check(relaxed, 'http://[::ffff:10.1.2.3]/a.png')).toBeUndefined();
    expect((await check(relaxed, 'http://169.254.169.254/'))?.gatewayCode).toBe('GW_ERR_MEDIA_URL_FORBIDDEN');
    expect((await check(relaxed, 'http://[fd00:ec2::254]/'))?.gatewayCode).toBe('GW_ERR_MEDIA_URL_FORBIDDEN');
    expect((await check(relaxed, 'http://0.0.0.0/'))?.gatewayCode).toBe('GW_ERR_MEDIA_URL_FORBIDDEN');
  });

  it('fails clearly on a name that does not resolve, or a scheme it does not fetch', async () => {
    expect((await check(strict, 'http://nowhere.invalid/a.png'))?.gatewayCode).toBe(
      'GW_ERR_MEDIA_FETCH_FAILED',
    );
    expect((await check(strict, 'file:///etc/passwd'))?.gatewayCode).toBe('GW_ERR_MEDIA_FETCH_FAILED');
  });
});

describe('address classification', () => {
  it.each([
    ['8.8.8.8', 'unicast', true],
    ['127.0.0.1', 'loopback', false],
    ['::ffff:127.0.0.1', 'loopback', false],
    ['10.0.0.1', 'private', false],
    ['169.254.1.1', 'linkLocal', false],
    ['fd00::1', 'uniqueLocal', false],
    ['100.64.0.1', 'carrierGradeNat', false],
    ['2001:4860:4860::8888', 'unicast', true],
  ])('%s is %s', (address, range, allowed) => {
    expect(classifyAddress(address)).toBe(range);
    expect(isAddressAllowed(address, false)).toBe(allowed);
  });

  it('is not fooled by what is not an address', () => {
    expect(classifyAddress('example.com')).toBeUndefined();
    expect(isAddressAllowed('example.com', true)).toBe(false);
  });
});
