/**
 * The checks of `npm run test:image`, run by test/deploy/run-image.sh once the image is built: the
 * image as a container, started the way the README's `docker run` starts it, then
 * docker-compose.yml with two gateway replicas and Redis. Both call a fake OpenAI (the tests' own,
 * test/helpers/fake-openai.ts) that listens on the Docker bridge's address of this host, where
 * containers reach it.
 *
 * Each check prints one line; the first that fails ends the run with exit code 1, after whatever
 * was started is removed. The figures (start-up, HEALTHCHECK, shutdown, image size) come last.
 *
 *   tsx test/deploy/check-image.ts --image llm-gateway:0.1.0 [--node-base node:24-slim]
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { CHAT_COMPLETION, CHAT_STREAM_USAGE, startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';

const { values: options } = parseArgs({
  options: {
    image: { type: 'string' },
    'node-base': { type: 'string', default: 'node:24-slim' },
  },
});
if (!options.image) throw new Error('usage: check-image.ts --image <name:tag> [--node-base <name:tag>]');
const IMAGE = options.image;
const NODE_BASE = options['node-base'];
/** Set by run-image.sh, which removes what carries it if this program is interrupted. */
const CHECK_LABEL = process.env['CHECK_LABEL'] ?? `llm-gateway.image-check=${process.pid}`;
const COMPOSE_PROJECT = process.env['COMPOSE_PROJECT'] ?? 'llm-gateway-image-check';

const CLIENT_KEY = 'image-check-client-key';
const UPSTREAM_KEY = 'sk-image-check-upstream';
/** The drain given to the container under check: short, so that a hung drain shows quickly. */
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** How long the upstream holds a stream after SIGTERM: the drain must outlast a stream still running. */
const STREAM_HOLD_MS = 2_000;
/** The chat rate limit of the compose check: low, so that both replicas reach it in a few requests. */
const RATE_LIMIT_CHAT_RPM = 4;

const figures: [string, string][] = [];
const seconds = (milliseconds: number) => `${(milliseconds / 1000).toFixed(1)} s`;
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

class CheckFailure extends Error {}
/** Failures already printed by `check`. */
const reported = new WeakSet<object>();

function fail(message: string): never {
  throw new CheckFailure(message);
}

/** Runs one check: one line, `ok` or `FAILED` with the reason; a failure ends the run. */
async function check<T>(description: string, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    console.log(`check-image: ok      ${description}`);
    return result;
  } catch (error) {
    console.log(`check-image: FAILED  ${description}: ${(error as Error).message}`);
    if (error instanceof Error) reported.add(error);
    throw error;
  }
}

function runCommand(command: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new CheckFailure(`${command} ${args[0]}: ${stderr.trim() || error.message}`));
      else resolve(stdout.trim());
    });
  });
}

const docker = (...args: string[]) => runCommand('docker', args);

/** Calls `read` until it returns a value (not undefined), at most `timeoutMs`. */
async function pollFor<T>(what: string, read: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      fail(`${what}: not within ${seconds(timeoutMs)}${cause}`);
    }
    await delay(50);
  }
}

/**
 * The address containers reach this host at: the Docker bridge's, on the host side. A container on
 * another bridge (a compose project's network) reaches it too: it is one of this host's addresses.
 * Read with `ip`: Node lists only interfaces that are up and running, and the bridge is not while
 * no container is attached.
 */
async function bridgeAddress(): Promise<string> {
  const bridge = await docker(
    'network',
    'inspect',
    'bridge',
    '--format',
    '{{ index .Options "com.docker.network.bridge.name" }}',
  );
  const addresses = await runCommand('ip', ['-4', '-o', 'address', 'show', 'dev', bridge || 'docker0']);
  return (
    /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(addresses)?.[1] ??
    fail(`the Docker bridge ${bridge} has no IPv4 address`)
  );
}

/** The gateway's settings for both checks, as an env file (`docker run --env-file`, compose's .env). */
function gatewayEnvironment(upstream: FakeUpstream, extra: Record<string, string | number>): string {
  const settings: Record<string, string | number> = {
    GATEWAY_API_KEYS: CLIENT_KEY,
    OPENAI_API_KEY: UPSTREAM_KEY,
    OPENAI_BASE_URL: `${upstream.origin}/v1`,
    LOG_LEVEL: 'info',
    ...extra,
  };
  return Object.entries(settings)
    .map(([name, value]) => `${name}=${value}`)
    .join('\n');
}

function chat(origin: string, content: string, stream = false): Promise<Response> {
  return fetch(`${origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', stream, messages: [{ role: 'user', content }] }),
  });
}

/** The text a chat stream carries: its events' content deltas, joined. */
function streamedText(events: string): string {
  return events
    .split('\n\n')
    .filter((event) => event.startsWith('data: {'))
    .map((event) => {
      const chunk = JSON.parse(event.slice('data: '.length)) as {
        choices?: { delta?: { content?: string | null } }[];
      };
      return chunk.choices?.[0]?.delta?.content ?? '';
    })
    .join('');
}

const UNARY_TEXT = (JSON.parse(CHAT_COMPLETION) as { choices: { message: { content: string } }[] })
  .choices[0]!.message.content;
const STREAM_TEXT = streamedText(CHAT_STREAM_USAGE);

async function expectChatAnswer(response: Response): Promise<void> {
  if (response.status !== 200) fail(`status ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { choices?: { message?: { content?: string } }[] };
  const content = body.choices?.[0]?.message?.content;
  if (content !== UNARY_TEXT)
    fail(`answer ${JSON.stringify(content)}, expected the fake's ${JSON.stringify(UNARY_TEXT)}`);
}

async function expectCompleteStream(response: Response): Promise<void> {
  if (response.status !== 200) fail(`status ${response.status}: ${await response.text()}`);
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
    fail(`content-type ${response.headers.get('content-type')}`);
  }
  const events = await response.text();
  if (!events.endsWith('data: [DONE]\n\n'))
    fail(`the stream does not end with [DONE]: …${events.slice(-80)}`);
  if (streamedText(events) !== STREAM_TEXT) fail(`streamed ${JSON.stringify(streamedText(events))}`);
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.json() };
}

async function waitForHealth(origin: string, timeoutMs = 60_000): Promise<void> {
  await pollFor(
    `${origin}/health`,
    async () => ((await getJson(`${origin}/health`)).status === 200 ? true : undefined),
    timeoutMs,
  );
}

async function expectReady(origin: string, redis: boolean): Promise<void> {
  const { status, body } = await getJson(`${origin}/v1/health/ready`);
  const checks = (body as { checks?: Record<string, { ok: boolean; message?: string }> }).checks ?? {};
  if (status !== 200) fail(`status ${status}: ${JSON.stringify(body)}`);
  if (!checks['providers']?.ok) fail(`providers: ${JSON.stringify(checks['providers'])}`);
  if (redis && checks['redis']?.message !== 'connected') fail(`redis: ${JSON.stringify(checks['redis'])}`);
}

async function containerLogs(container: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('docker', ['logs', '--tail', '40', container], (_error, stdout, stderr) =>
      resolve(`${stdout}${stderr}`.trim()),
    );
  });
}

// ---- the image as a container ---------------------------------------------------------------------

interface ProcessFacts {
  status: string;
  command: string;
  rootWrite: string;
  tmpWrite: string;
}

/** What the gateway process (PID 1) runs as, and what the container lets it write. */
async function readProcessFacts(container: string): Promise<ProcessFacts> {
  const probe = `
    const fs = require('node:fs');
    const attempt = (path) => { try { fs.writeFileSync(path, 'x'); fs.rmSync(path); return 'written'; } catch (error) { return error.code; } };
    process.stdout.write(JSON.stringify({
      status: fs.readFileSync('/proc/1/status', 'utf8'),
      command: fs.readFileSync('/proc/1/cmdline', 'utf8').split('\\0').join(' ').trim(),
      rootWrite: attempt('/app/.write-probe'),
      tmpWrite: attempt('/tmp/.write-probe'),
    }));`;
  return JSON.parse(await docker('exec', container, 'node', '-e', probe)) as ProcessFacts;
}

function statusField(status: string, field: string): string {
  return (
    new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? fail(`no ${field} in /proc/1/status`)
  );
}

async function checkContainer(upstream: FakeUpstream, workFolder: string): Promise<void> {
  const container = `llm-gateway-image-check-${process.pid}`;
  const envFile = join(workFolder, 'container.env');
  await writeFile(envFile, gatewayEnvironment(upstream, { SHUTDOWN_TIMEOUT: SHUTDOWN_TIMEOUT_MS }));
  const started = performance.now();
  // The README's `docker run`, with the port published on loopback only, on a port Docker picks.
  await docker(
    'run',
    '--detach',
    '--name',
    container,
    '--label',
    CHECK_LABEL,
    '--publish',
    '127.0.0.1::8080',
    '--env-file',
    envFile,
    '--stop-timeout',
    '30',
    '--read-only',
    '--tmpfs',
    '/tmp',
    // The store's data directory (DATA_DIR), writable as a deployment's volume makes it (compose: a
    // named volume; Kubernetes: an emptyDir): everything else stays read-only.
    '--tmpfs',
    '/data:rw,uid=1000,gid=1000,mode=0700',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    IMAGE,
  );
  let exited = false;
  try {
    const origin = `http://${await docker('port', container, '8080/tcp')}`;
    await check('the container answers /health', () => waitForHealth(origin));
    figures.push(['start-up: docker run to /health answering', seconds(performance.now() - started)]);
    const processStarted = Date.parse(
      await docker('inspect', '--format', '{{ .State.StartedAt }}', container),
    );
    const listening = (await containerLogs(container))
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { time?: number; msg?: string })
      .find((entry) => entry.msg?.startsWith('Server listening'))?.time;
    if (listening !== undefined) {
      figures.push(['start-up: container started to gateway listening', seconds(listening - processStarted)]);
    }

    await check(
      'it runs as uid/gid 1000, without capabilities or new privileges, on a read-only root',
      async () => {
        const facts = await readProcessFacts(container);
        if (!facts.command.startsWith('node dist/src/server.js')) fail(`PID 1 is ${facts.command}`);
        const uids = statusField(facts.status, 'Uid').split(/\s+/);
        const gids = statusField(facts.status, 'Gid').split(/\s+/);
        if (uids.some((uid) => uid !== '1000') || gids.some((gid) => gid !== '1000')) {
          fail(`Uid ${uids.join(' ')}, Gid ${gids.join(' ')}`);
        }
        if (!/^0+$/.test(statusField(facts.status, 'CapEff')))
          fail(`CapEff ${statusField(facts.status, 'CapEff')}`);
        if (statusField(facts.status, 'NoNewPrivs') !== '1') fail('NoNewPrivs is not set');
        if (facts.rootWrite !== 'EROFS') fail(`writing into /app gave ${facts.rootWrite}, expected EROFS`);
        if (facts.tmpWrite !== 'written') fail(`writing into /tmp gave ${facts.tmpWrite}`);
      },
    );

    await check('it is ready with the provider configured against the fake upstream', () =>
      expectReady(origin, false),
    );

    await check('it refuses a model call without a key (401)', async () => {
      const response = await fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      if (response.status !== 401) fail(`status ${response.status}`);
    });

    await check('a chat request goes through the container to the upstream and back', async () => {
      const before = upstream.received('/v1/chat/completions').length;
      await expectChatAnswer(await chat(origin, 'container unary'));
      const received = upstream.received('/v1/chat/completions').slice(before);
      if (received.length !== 1) fail(`the upstream received ${received.length} requests`);
      if (received[0]!.headers.authorization !== `Bearer ${UPSTREAM_KEY}`) {
        fail('the upstream did not receive the provider key');
      }
    });

    await check('a stream goes through the container, to [DONE]', async () =>
      expectCompleteStream(await chat(origin, 'container stream', true)),
    );

    const healthy = await check("the image's HEALTHCHECK turns the container healthy", async () => {
      const status = await pollFor(
        'docker health status healthy',
        async () => {
          const health = await docker('inspect', '--format', '{{ .State.Health.Status }}', container);
          if (health === 'unhealthy')
            fail(
              `unhealthy: ${await docker('inspect', '--format', '{{ json .State.Health.Log }}', container)}`,
            );
          return health === 'healthy' ? health : undefined;
        },
        90_000,
      );
      return { status, after: performance.now() - started };
    });
    figures.push(['HEALTHCHECK healthy after docker run', seconds(healthy.after)]);

    await check(
      `SIGTERM during a stream: the stream finishes, the container exits 0 within SHUTDOWN_TIMEOUT (${seconds(SHUTDOWN_TIMEOUT_MS)})`,
      async () => {
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        upstream.enqueue('POST', '/v1/chat/completions', {
          status: 200,
          headers: { 'content-type': 'text/event-stream' },
          body: CHAT_STREAM_USAGE,
          holdAt: 400,
          release: released,
        });
        const response = await chat(origin, 'container drain', true);
        if (response.status !== 200) fail(`status ${response.status}`);
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let events = decoder.decode((await reader.read()).value, { stream: true });

        const signalled = performance.now();
        await docker('kill', '--signal', 'SIGTERM', container);
        await pollFor(
          'the gateway logs that it is shutting down',
          async () => ((await containerLogs(container)).includes('shutting down') ? true : undefined),
          10_000,
        );
        // The upstream keeps the stream open a while longer: the container must wait for it.
        await delay(STREAM_HOLD_MS);
        const running = await docker('inspect', '--format', '{{ .State.Running }}', container);
        if (running !== 'true') fail(`the container stopped while a stream was in flight`);
        release();
        for (;;) {
          const next = await reader.read();
          if (next.done) break;
          events += decoder.decode(next.value, { stream: true });
        }
        const streamEnded = performance.now() - signalled;
        if (!events.endsWith('data: [DONE]\n\n')) fail(`the stream was cut: …${events.slice(-80)}`);
        if (streamedText(events) !== STREAM_TEXT) fail(`streamed ${JSON.stringify(streamedText(events))}`);
        const exitCode = await runCommand('docker', ['wait', container], SHUTDOWN_TIMEOUT_MS + 30_000);
        const containerExited = performance.now() - signalled;
        exited = true;
        // Past SHUTDOWN_TIMEOUT the gateway closes what is left and exits 1; 0 means the drain ended first.
        if (exitCode !== '0') fail(`exit code ${exitCode}`);
        figures.push([
          `shutdown: stream held ${seconds(STREAM_HOLD_MS)} after SIGTERM, finished after`,
          seconds(streamEnded),
        ]);
        figures.push(['shutdown: container exited 0 after SIGTERM', seconds(containerExited)]);
      },
    );
  } catch (error) {
    if (!exited)
      console.log(`check-image: the container's last log lines:\n${await containerLogs(container)}`);
    throw error;
  } finally {
    await docker('rm', '--force', container).catch(() => undefined);
  }
}

// ---- docker-compose.yml: two replicas and Redis --------------------------------------------------------

interface ComposeRun {
  compose(...args: string[]): Promise<string>;
}

function composeIn(projectFolder: string): ComposeRun {
  const base = [
    '--file',
    join(PACKAGE_ROOT, 'docker-compose.yml'),
    '--project-directory',
    projectFolder,
    '--project-name',
    COMPOSE_PROJECT,
  ];
  return { compose: (...args) => runCommand('docker-compose', [...base, ...args], 180_000) };
}

/** The keys the gateways wrote into the project's Redis (REDIS_KEY_PREFIX is llm-gateway: by default). */
async function redisKeys({ compose }: ComposeRun): Promise<string[]> {
  const keys = await compose('exec', '-T', 'redis', 'redis-cli', '--scan', '--pattern', 'llm-gateway:*');
  return keys.split('\n').filter(Boolean);
}

async function listProjectObjects(): Promise<string[]> {
  const filter = `label=com.docker.compose.project=${COMPOSE_PROJECT}`;
  const [containers, networks, volumes] = await Promise.all([
    docker('ps', '--all', '--quiet', '--filter', filter),
    docker('network', 'ls', '--quiet', '--filter', filter),
    docker('volume', 'ls', '--quiet', '--filter', filter),
  ]);
  return [
    ...containers
      .split('\n')
      .filter(Boolean)
      .map((id) => `container ${id}`),
    ...networks
      .split('\n')
      .filter(Boolean)
      .map((id) => `network ${id}`),
    ...volumes
      .split('\n')
      .filter(Boolean)
      .map((id) => `volume ${id}`),
  ];
}

async function expectRemaining(response: Response, remaining: number): Promise<void> {
  await expectChatAnswer(response);
  const header = response.headers.get('x-ratelimit-remaining');
  if (header !== String(remaining)) fail(`x-ratelimit-remaining ${header}, expected ${remaining}`);
}

async function checkCompose(upstream: FakeUpstream, workFolder: string): Promise<void> {
  const projectFolder = join(workFolder, 'compose');
  await mkdir(projectFolder);
  // Compose reads .env from the project folder, for the gateway's env_file and for interpolation;
  // GATEWAY_PUBLISHED_PORT with no port lets Docker pick a free loopback port for each replica.
  await writeFile(
    join(projectFolder, '.env'),
    gatewayEnvironment(upstream, {
      RATE_LIMIT_CHAT_RPM,
      GATEWAY_PUBLISHED_PORT: '127.0.0.1:',
    }),
  );
  const { compose } = composeIn(projectFolder);
  if ((await listProjectObjects()).length > 0) await compose('down', '--volumes', '--timeout', '30');

  const started = performance.now();
  await check('docker-compose up --no-build --scale gateway=2 starts Redis and two gateways', async () => {
    await compose('up', '--detach', '--no-build', '--scale', 'gateway=2');
  });
  figures.push(['compose: docker-compose up returned after', seconds(performance.now() - started)]);
  try {
    const gateways = (await compose('ps', '--quiet', 'gateway')).split('\n').filter(Boolean);
    const [redis] = (await compose('ps', '--quiet', 'redis')).split('\n').filter(Boolean);
    if (gateways.length !== 2 || !redis)
      fail(`containers: gateway ${gateways.length}, redis ${redis ? 1 : 0}`);

    await check('each gateway started only after Redis passed its healthcheck', async () => {
      const log = JSON.parse(await docker('inspect', '--format', '{{ json .State.Health.Log }}', redis)) as {
        End: string;
        ExitCode: number;
      }[];
      const firstHealthy = log.find((probe) => probe.ExitCode === 0);
      if (!firstHealthy) fail('Redis has not passed its healthcheck');
      for (const gateway of gateways) {
        const startedAt = await docker('inspect', '--format', '{{ .State.StartedAt }}', gateway);
        if (Date.parse(startedAt) < Date.parse(firstHealthy.End)) {
          fail(`a gateway started at ${startedAt}, before Redis was healthy at ${firstHealthy.End}`);
        }
      }
    });

    const origins: string[] = [];
    for (const index of [1, 2]) {
      origins.push(`http://${await compose('port', '--index', String(index), 'gateway', '8080')}`);
    }
    await check('both replicas answer /health and are ready, connected to Redis', async () => {
      for (const origin of origins) {
        await waitForHealth(origin);
        await expectReady(origin, true);
      }
    });
    const [first, second] = origins as [string, string];

    await check('the replicas share one cache: an answer stored by one is served by the other', async () => {
      const prompt = `compose cache ${Date.now()}`;
      const asked = () =>
        upstream
          .received('/v1/chat/completions')
          .filter((request) => JSON.stringify(request.json).includes(prompt)).length;
      const miss = await chat(first, prompt);
      if (miss.headers.get('x-cache') !== 'MISS')
        fail(`first replica: x-cache ${miss.headers.get('x-cache')}`);
      await expectRemaining(miss, RATE_LIMIT_CHAT_RPM - 1);
      // The first replica stores the answer without waiting for the write: wait for it in Redis.
      await pollFor(
        'the cache entry in Redis',
        async () =>
          (await redisKeys({ compose })).some((key) => key.startsWith('llm-gateway:cache:chat:'))
            ? true
            : undefined,
        10_000,
      );
      const hit = await chat(second, prompt);
      if (hit.headers.get('x-cache') !== 'HIT') fail(`second replica: x-cache ${hit.headers.get('x-cache')}`);
      await expectRemaining(hit, RATE_LIMIT_CHAT_RPM - 2);
      if (asked() !== 1) fail(`the upstream was asked ${asked()} times`);
    });

    await check(
      `the replicas share one rate limit (${RATE_LIMIT_CHAT_RPM} chat requests a minute between them)`,
      async () => {
        await expectRemaining(await chat(first, 'compose limit 3'), RATE_LIMIT_CHAT_RPM - 3);
        await expectRemaining(await chat(second, 'compose limit 4'), RATE_LIMIT_CHAT_RPM - 4);
        for (const origin of [first, second]) {
          const refused = await chat(origin, 'compose limit 5');
          const body = (await refused.json()) as { error?: { code?: string } };
          if (refused.status !== 429) fail(`a request over the limit: status ${refused.status}`);
          if (body.error?.code !== 'rate_limit_exceeded') fail(`error code ${body.error?.code}`);
        }
      },
    );

    const kinds = new Map<string, number>();
    for (const key of await redisKeys({ compose })) {
      const kind = key.split(':')[1] ?? key;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    figures.push([
      'compose: keys the replicas share in Redis, by kind',
      [...kinds].map(([kind, count]) => `${kind} ${count}`).join(', '),
    ]);
  } catch (error) {
    for (const container of (await compose('ps', '--quiet').catch(() => '')).split('\n').filter(Boolean)) {
      console.log(`check-image: last log lines of ${container}:\n${await containerLogs(container)}`);
    }
    throw error;
  } finally {
    const stopping = performance.now();
    await compose('down', '--volumes', '--timeout', '30').catch((error: Error) =>
      console.log(`check-image: ${error.message}`),
    );
    figures.push(['compose: docker-compose down took', seconds(performance.now() - stopping)]);
  }
  await check('docker-compose down leaves no container, network or volume of the project', async () => {
    const left = await listProjectObjects();
    if (left.length > 0) fail(left.join(', '));
  });
}

// ---- sizes and the run -------------------------------------------------------------------------------

async function reportSizes(): Promise<void> {
  const size = async (image: string) =>
    Number(await docker('image', 'inspect', '--format', '{{ .Size }}', image));
  const standIn = async (image: string) =>
    (await docker(
      'image',
      'inspect',
      '--format',
      '{{ index .Config.Labels "llm-gateway.stand-in" }}',
      image,
    )) !== '';
  const [total, base] = [await size(IMAGE), await size(NODE_BASE)];
  const baseName = `${NODE_BASE}${(await standIn(NODE_BASE)) ? ', a stand-in built from Debian packages' : ''}`;
  figures.push([`image size: ${IMAGE}`, megabytes(total)]);
  figures.push([`image size: the base (${baseName})`, megabytes(base)]);
  figures.push(['image size: what the project adds to the base', megabytes(total - base)]);
}

async function main(): Promise<void> {
  const workFolder = await mkdtemp(join(tmpdir(), 'llm-gateway-image-check-'));
  let upstream: FakeUpstream | undefined;
  try {
    upstream = await startFakeOpenAI(await bridgeAddress());
    console.log(`check-image: fake OpenAI on ${upstream.origin}, reached by the containers`);
    await reportSizes();
    await checkContainer(upstream, workFolder);
    await checkCompose(upstream, workFolder);
  } finally {
    await upstream?.close();
    await rm(workFolder, { recursive: true, force: true });
    if (figures.length > 0) {
      console.log('check-image: figures');
      const width = Math.max(...figures.map(([name]) => name.length));
      for (const [name, value] of figures) console.log(`  ${name.padEnd(width)}  ${value}`);
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof CheckFailure && !reported.has(error))
      console.log(`check-image: FAILED  ${error.message}`);
    else if (!(error instanceof CheckFailure)) console.error(error);
    process.exit(1);
  },
);
