import { describe, expect, it } from 'vitest';
import { BenchArgumentError, WORKLOAD_IDS, parseBenchArguments } from '../../bench/arguments.js';

describe('parseBenchArguments', () => {
  it('runs every workload at 1, 16 and 64 connections in three rounds of 5 s by default', () => {
    const options = parseBenchArguments([]);
    expect(options).toMatchObject({
      mode: 'bench',
      quick: false,
      durationSeconds: 5,
      rounds: 3,
      concurrencies: [1, 16, 64],
      workloads: [...WORKLOAD_IDS],
      pin: true,
      semantic: true,
      outputDirectory: 'bench/results',
    });
  });

  it('makes --quick one short round, and lets explicit flags win over it', () => {
    expect(parseBenchArguments(['--quick'])).toMatchObject({
      durationSeconds: 1,
      rounds: 1,
      warmupSeconds: 0.5,
    });
    expect(parseBenchArguments(['--quick', '--duration', '2.5', '--concurrency', '8'])).toMatchObject({
      durationSeconds: 2.5,
      concurrencies: [8],
    });
  });

  it('reads lists of concurrencies and workloads, dropping repeats', () => {
    const options = parseBenchArguments(['--concurrency', '1, 64,1', '--workloads', 'cache-hit,embeddings']);
    expect(options.concurrencies).toEqual([1, 64]);
    expect(options.workloads).toEqual(['cache-hit', 'embeddings']);
  });

  it('soaks a million requests at 64 connections unless told otherwise', () => {
    expect(parseBenchArguments(['--soak'])).toMatchObject({
      mode: 'soak',
      soakRequests: 1_000_000,
      soakConnections: 64,
    });
    expect(parseBenchArguments(['--soak', '--requests', '20000', '--concurrency', '16'])).toMatchObject({
      soakRequests: 20_000,
      soakConnections: 16,
    });
  });

  it('profiles the two OpenAI chat workloads at 16 connections by default', () => {
    expect(parseBenchArguments(['--profile'])).toMatchObject({
      mode: 'profile',
      workloads: ['openai-unary', 'openai-stream'],
      concurrencies: [16],
    });
  });

  it('traces a share of requests with --traces, and none without it', () => {
    expect(parseBenchArguments([]).traces).toBeUndefined();
    expect(parseBenchArguments(['--traces', '1']).traces).toBe(1);
    expect(parseBenchArguments(['--traces', '0.01']).traces).toBe(0.01);
    expect(() => parseBenchArguments(['--traces', '2'])).toThrow(BenchArgumentError);
    expect(() => parseBenchArguments(['--traces', '0'])).toThrow(BenchArgumentError);
  });

  it('turns pinning off with --no-pin, and the semantic cache figures with --no-semantic', () => {
    expect(parseBenchArguments(['--no-pin']).pin).toBe(false);
    expect(parseBenchArguments(['--no-semantic']).semantic).toBe(false);
  });

  it('gives the gateway extra environment variables with repeated --gateway-env flags', () => {
    expect(parseBenchArguments([]).gatewayEnvironment).toEqual({});
    expect(
      parseBenchArguments([
        '--gateway-env',
        'NODE_OPTIONS=--max-semi-space-size=8 --max-old-space-size=256',
        '--gateway-env',
        'CACHE_MAX_BYTES=16777216',
        '--gateway-env',
        'EMPTY=',
      ]).gatewayEnvironment,
    ).toEqual({
      NODE_OPTIONS: '--max-semi-space-size=8 --max-old-space-size=256',
      CACHE_MAX_BYTES: '16777216',
      EMPTY: '',
    });
  });

  it('measures the gateway compiled in dist unless --gateway-dist names another build', () => {
    expect(parseBenchArguments([]).gatewayDist).toBe('dist');
    expect(parseBenchArguments(['--gateway-dist', '/tmp/before/dist']).gatewayDist).toBe('/tmp/before/dist');
  });

  it('takes the file of an earlier run to render', () => {
    expect(parseBenchArguments(['--render', 'bench/results/x.json']).render).toBe('bench/results/x.json');
    expect(parseBenchArguments([]).render).toBeUndefined();
  });

  it.each([
    [['--duration', '0'], /--duration must be a number greater than 0: value was "0"/],
    [['--rounds', '1.5'], /--rounds must be a whole number/],
    [['--concurrency', '1,x'], /--concurrency must be a whole number greater than 0: value was "x"/],
    [['--workloads', 'openai-unary,bogus'], /unknown workload "bogus"/],
    [['--requests', '10'], /--requests applies to --soak only/],
    [['--soak', '--profile'], /cannot be combined/],
    [['--gateway-env', 'NOEQUALS'], /--gateway-env must be NAME=VALUE: value was "NOEQUALS"/],
    [['--gateway-env', '=1'], /--gateway-env must be NAME=VALUE/],
    [['--gateway-env', 'BAD-NAME=1'], /--gateway-env must be NAME=VALUE/],
    [['--bogus'], /bogus/],
    [['extra'], /extra/],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(() => parseBenchArguments(argv)).toThrow(BenchArgumentError);
    expect(() => parseBenchArguments(argv)).toThrow(message);
  });
});
