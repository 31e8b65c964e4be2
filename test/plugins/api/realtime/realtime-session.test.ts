/**
 * The relay of one realtime session over real loopback WebSockets: frames kept as text or binary,
 * a slow reader holding back the other side instead of growing the gateway's buffers, and the close
 * codes passed on.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { RealtimeSession, type SessionSummary } from '../../../../plugins/api/realtime/realtime-session.js';

let server: WebSocketServer;
let port: number;
const opened: WebSocket[] = [];

beforeEach(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  for (const socket of opened) socket.terminate();
  opened.length = 0;
  await new Promise((resolve) => server.close(resolve));
});

/** A connected pair: the far end a test drives, and the gateway's end of it. */
async function pair(): Promise<{ far: WebSocket; near: WebSocket }> {
  const near = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const far = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((resolve) => far.once('open', resolve));
  const nearSocket = await near;
  opened.push(far, nearSocket);
  return { far, near: nearSocket };
}

async function session(maxBufferedBytes = 4 * 1024 * 1024) {
  const client = await pair();
  const upstream = await pair();
  const ended: SessionSummary[] = [];
  const relayed: string[] = [];
  const session = new RealtimeSession(client.near, upstream.near, {
    maxBufferedBytes,
    maxSessionMs: 60_000,
    onUpstreamEvent: () => {},
    onRelayed: (direction) => relayed.push(direction),
    onEnd: (summary) => ended.push(summary),
  });
  return { client: client.far, upstream: upstream.far, ended, relayed, session };
}

describe('RealtimeSession', () => {
  it('relays text frames as text and binary frames as binary, both ways', async () => {
    const { client, upstream, relayed } = await session();
    const atUpstream: { data: string; binary: boolean }[] = [];
    const atClient: { data: string; binary: boolean }[] = [];
    upstream.on('message', (data, binary) => atUpstream.push({ data: data.toString(), binary }));
    client.on('message', (data, binary) => atClient.push({ data: data.toString(), binary }));
    client.send('{"type":"session.update"}');
    client.send(Buffer.from('raw audio'), { binary: true });
    upstream.send('{"type":"session.updated"}');
    await expect.poll(() => atUpstream.length + atClient.length).toBe(3);
    expect(atUpstream).toEqual([
      { data: '{"type":"session.update"}', binary: false },
      { data: 'raw audio', binary: true },
    ]);
    expect(atClient).toEqual([{ data: '{"type":"session.updated"}', binary: false }]);
    expect(relayed.sort()).toEqual(['client_to_upstream', 'client_to_upstream', 'upstream_to_client']);
  });

  it('holds a fast sender back while the other side does not read, and loses nothing', async () => {
    // 16 MiB sent to a provider that reads nothing, through a session that may hold 1 MiB: without
    // back-pressure the gateway's queue would pass the bound and the session would close with 1013.
    const { client, upstream, ended } = await session(1024 * 1024);
    upstream.pause();
    const chunk = 256 * 1024;
    const count = 64;
    for (let index = 0; index < count; index++) client.send(Buffer.alloc(chunk, index), { binary: true });
    // The sender's own queue grows: the gateway stopped reading from it.
    await expect.poll(() => client.bufferedAmount, { timeout: 10_000 }).toBeGreaterThan(4 * chunk);
    expect(ended).toEqual([]);
    const received: number[] = [];
    upstream.on('message', (data) => {
      const buffer = data as Buffer;
      expect(buffer.length).toBe(chunk);
      received.push(buffer[0]!);
    });
    upstream.resume();
    await expect.poll(() => received.length, { timeout: 20_000 }).toBe(count);
    expect(received).toEqual(Array.from({ length: count }, (_, index) => index));
    expect(ended).toEqual([]);
  });

  it("passes the client's close code to the provider and reports both", async () => {
    const { client, upstream, ended } = await session();
    const upstreamClosed = new Promise<[number, string]>((resolve) =>
      upstream.once('close', (code, reason) => resolve([code, reason.toString()])),
    );
    client.close(4321, 'bye');
    expect(await upstreamClosed).toEqual([4321, 'bye']);
    await expect.poll(() => ended.length).toBe(1);
    expect(ended[0]).toMatchObject({ reason: 'client_closed', closeCodes: { client: 4321, upstream: 4321 } });
  });

  it('closes both sides with the code the gateway ends a session with', async () => {
    const { client, upstream, ended, session: relay } = await session();
    const codes = Promise.all(
      [client, upstream].map((socket) => new Promise<number>((resolve) => socket.once('close', resolve))),
    );
    relay.end('shutdown', 1001, 'the gateway is shutting down');
    expect(await codes).toEqual([1001, 1001]);
    await expect.poll(() => ended[0]?.reason).toBe('shutdown');
  });
});
