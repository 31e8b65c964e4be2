/**
 * Time to first token: one connection, requests one after another, each timed from the moment the
 * request is written to the first body bytes of the answer (the first event of a stream) and to its
 * end. The load generator only times whole answers, so streams get this probe too.
 */
import { Agent, request as sendRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SampleBuffer } from './statistics.js';
import type { RequestTemplate } from './workloads.js';

export interface FirstTokenSamples {
  /** Milliseconds to the first body bytes, one per request. */
  firstByte: Float64Array;
  /** Milliseconds to the end of the answer. */
  total: Float64Array;
}

function timeOne(
  agent: Agent,
  origin: URL,
  template: RequestTemplate,
  counter: number,
): Promise<{ firstByte: number; total: number }> {
  const body = template.body(counter);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByte = -1;
    const outgoing = sendRequest(
      {
        agent,
        host: origin.hostname,
        port: origin.port,
        method: template.method,
        path: template.path,
        headers: { ...template.headers, 'content-length': Buffer.byteLength(body) },
      },
      (incoming) => {
        if (incoming.statusCode !== 200) {
          incoming.resume();
          reject(new Error(`${template.path} answered ${incoming.statusCode}`));
          return;
        }
        incoming.on('data', () => {
          if (firstByte < 0) firstByte = performance.now() - started;
        });
        incoming.on('end', () => resolve({ firstByte, total: performance.now() - started }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export async function probeFirstToken(
  origin: string,
  template: RequestTemplate,
  count: number,
  nextCounter: () => number,
): Promise<FirstTokenSamples> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(origin);
  const firstByte = new SampleBuffer();
  const total = new SampleBuffer();
  try {
    for (let index = 0; index < count; index++) {
      const timing = await timeOne(agent, url, template, nextCounter());
      firstByte.push(timing.firstByte);
      total.push(timing.total);
    }
  } finally {
    agent.destroy();
  }
  return { firstByte: firstByte.values(), total: total.values() };
}
