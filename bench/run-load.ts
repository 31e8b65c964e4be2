/**
 * One measured run of the load generator (autocannon) against one target. Latencies are taken from
 * autocannon's per-response event, which carries the exact time in milliseconds (its own histogram
 * rounds to whole milliseconds, too coarse for sub-millisecond overheads).
 * @see https://github.com/mcollina/autocannon#events
 */
import autocannon from 'autocannon';
import { SampleBuffer } from './statistics.js';
import type { RequestTemplate } from './workloads.js';

export interface LoadOptions {
  origin: string;
  connections: number;
  /** Seconds to run; ignored when `amount` is given. */
  durationSeconds?: number;
  /** Requests in all (the soak). */
  amount?: number;
  /** One template, or several taken in turn by counter (the soak's mix). */
  templates: RequestTemplate[];
  /** The next request number; shared by every run so bodies never repeat across runs. */
  nextCounter: () => number;
  /** Keep each latency (off for the soak, whose million samples are not needed). */
  recordLatencies: boolean;
  /** Called about once a second while the run goes. */
  onTick?: (completed: number) => void;
}

export interface LoadResult {
  /** 2xx answers. */
  completed: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  requestsPerSecond: number;
  /** Milliseconds, one per 2xx answer (empty when not recorded). */
  latencies: Float64Array;
}

type AutocannonRequest = NonNullable<autocannon.Options['requests']>[number];

function toAutocannonRequest(options: LoadOptions): AutocannonRequest {
  const { templates, nextCounter } = options;
  const first = templates[0]!;
  const fixed = templates.length === 1 && !first.varies;
  const request: AutocannonRequest = {
    method: first.method,
    path: first.path,
    headers: first.headers,
    body: first.body(0),
  };
  if (fixed) return request;
  request.setupRequest = (current) => {
    const counter = nextCounter();
    const chosen = templates[counter % templates.length]!;
    current.method = chosen.method;
    current.path = chosen.path;
    current.headers = chosen.headers;
    current.body = chosen.body(counter);
    return current;
  };
  return request;
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies = new SampleBuffer();
  let completed = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.origin,
        connections: options.connections,
        pipelining: 1,
        timeout: 30,
        ...(options.amount !== undefined
          ? { amount: options.amount }
          : { duration: options.durationSeconds ?? 5 }),
        requests: [toAutocannonRequest(options)],
      },
      (error: unknown, result: autocannon.Result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve({
          completed: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationSeconds: result.duration,
          requestsPerSecond: result.duration > 0 ? result['2xx'] / result.duration : 0,
          latencies: latencies.values(),
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        completed++;
        if (options.recordLatencies) latencies.push(responseTime);
      }
    });
    if (options.onTick) {
      const onTick = options.onTick;
      instance.on('tick', () => onTick(completed));
    }
  });
}
