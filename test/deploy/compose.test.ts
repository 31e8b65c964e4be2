/** docker-compose.yml (quick start) and docker-compose.dev.yml, parsed and cross-checked. */
import { describe, expect, it } from 'vitest';
import {
  PACKAGE_VERSION,
  findInstructions,
  readDockerStages,
  readEnvExampleNames,
  readEnvExampleValues,
  readProjectFile,
  readYaml,
} from './read-deployment-files.js';

interface ComposeService {
  build?: { context: string; target: string };
  image?: string;
  command?: string[];
  env_file?: string | string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  network_mode?: string;
  profiles?: string[];
  stop_grace_period?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const VARIABLE = /\$\{([A-Z][A-Z0-9_]*)(?::?-([^}]*))?\}/g;

/**
 * Compose's interpolation of `${NAME}` and `${NAME:-default}` from the project's .env file.
 * @see https://docs.docker.com/reference/compose-file/interpolation/
 */
function interpolate(text: string, env: Map<string, string>): string {
  return text.replace(VARIABLE, (_match, name: string, fallback: string | undefined) => {
    const value = env.get(name);
    return value !== undefined && value !== '' ? value : (fallback ?? '');
  });
}

/** Every variable name a service uses: its environment keys and what it interpolates. */
function variableNames(service: ComposeService): string[] {
  const names = Object.keys(service.environment ?? {});
  for (const value of Object.values(service.environment ?? {})) {
    for (const match of String(value).matchAll(VARIABLE)) names.push(match[1]!);
  }
  return names;
}

/** A compose duration (`30s`, `1m30s`) in seconds. */
function durationSeconds(text: string): number {
  const parts = [...text.matchAll(/(\d+)(h|m|s)/g)];
  expect(parts.map((part) => part[0]).join(''), `duration ${text}`).toBe(text);
  return parts.reduce(
    (total, [, count, unit]) => total + Number(count) * { h: 3600, m: 60, s: 1 }[unit as 'h'],
    0,
  );
}

const stageNames = readDockerStages().map((stage) => stage.name);
const envNames = readEnvExampleNames();
const envValues = readEnvExampleValues();

describe('docker-compose.yml (quick start)', () => {
  const compose = readYaml<ComposeFile>('docker-compose.yml');
  const gateway = compose.services['gateway']!;
  const redis = compose.services['redis']!;

  it("uses only top-level keys Debian's docker-compose 1.x accepts (no `name`)", () => {
    const keys = Object.keys(compose).filter((key) => !key.startsWith('x-'));
    for (const key of keys) expect(['services', 'volumes', 'networks', 'secrets', 'configs']).toContain(key);
  });

  it('runs the gateway image and Redis, and PostgreSQL only under its profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'postgres', 'redis']);
    expect(compose.services['postgres']!.profiles).toEqual(['postgres']);
    expect(gateway.build).toEqual({ context: '.', target: 'runtime' });
    expect(stageNames).toContain(gateway.build!.target);
    expect(gateway.image).toBe(`llm-gateway:${PACKAGE_VERSION}`);
  });

  it('serves on :8080, configured from .env', () => {
    expect(gateway.ports).toHaveLength(1);
    expect(interpolate(gateway.ports![0]!, envValues)).toBe('8080:8080');
    expect(gateway.env_file).toBe('.env');
    expect(gateway.environment?.['GATEWAY_PORT']).toBe(8080);
    expect(gateway.environment?.['GATEWAY_HOST']).toBe('0.0.0.0');
    expect(gateway.environment?.['NODE_ENV']).toBe('production');
  });

  it('publishes on another host port, or on a free loopback port per replica, when .env says so', () => {
    const published = (value: string) =>
      interpolate(gateway.ports![0]!, new Map([['GATEWAY_PUBLISHED_PORT', value]]));
    expect(published('127.0.0.1:8081')).toBe('127.0.0.1:8081:8080');
    // Docker's [IP:][HOST_PORT:]CONTAINER_PORT with an empty host port: any free one, per container.
    expect(published('127.0.0.1:')).toBe('127.0.0.1::8080');
    expect(envNames).toContain('GATEWAY_PUBLISHED_PORT');
  });

  it('points the gateway at the Redis service unless .env names another one', () => {
    const url = String(gateway.environment?.['REDIS_URL']);
    expect(interpolate(url, envValues)).toBe('redis://redis:6379');
    expect(interpolate(url, new Map([['REDIS_URL', 'redis://cache.internal:6380']]))).toBe(
      'redis://cache.internal:6380',
    );
  });

  it('starts the gateway once Redis answers its healthcheck', () => {
    expect(gateway.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('gives the gateway longer than its drain to stop', () => {
    const drainSeconds = Number(envValues.get('SHUTDOWN_TIMEOUT')) / 1000;
    expect(drainSeconds).toBeGreaterThan(0);
    expect(durationSeconds(gateway.stop_grace_period ?? '10s')).toBeGreaterThan(drainSeconds);
  });

  it('uses only variables .env.example documents', () => {
    for (const name of variableNames(gateway)) expect(envNames, name).toContain(name);
  });

  it("keeps the store's SQLite file in a volume (the root filesystem is read-only), or uses the optional PostgreSQL", () => {
    const dataDir = String(gateway.environment?.['DATA_DIR']);
    expect(gateway.volumes).toContain(`gateway-data:${dataDir}`);
    expect((compose as unknown as { volumes: Record<string, unknown> }).volumes).toHaveProperty(
      'gateway-data',
    );
    // The gateway does not wait for a service that only its profile starts.
    expect(Object.keys(gateway.depends_on ?? {})).not.toContain('postgres');
    const postgres = compose.services['postgres']!;
    expect(postgres.healthcheck?.test[0]).toBe('CMD');
    expect(postgres.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    const example = readProjectFile('docker-compose.yml');
    const { POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB } = postgres.environment as Record<string, string>;
    // The URL the comment gives is the one the service's settings make.
    expect(example).toContain(
      `DATABASE_URL=postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@postgres:5432/${POSTGRES_DB}`,
    );
  });
});

describe('docker-compose.dev.yml', () => {
  const compose = readYaml<ComposeFile>('docker-compose.dev.yml');
  const gateway = compose.services['gateway']!;
  const tests = compose.services['test']!;
  const devStage = readDockerStages().find((stage) => stage.name === 'dev')!;
  const workdir = findInstructions(devStage, 'WORKDIR').at(-1)?.getArgumentsContent();
  const scripts = (JSON.parse(readProjectFile('package.json')) as { scripts: Record<string, string> })
    .scripts;

  it('runs the dev script with the source mounted over the dev stage', () => {
    expect(gateway.build).toEqual({ context: '.', target: 'dev' });
    expect(stageNames).toContain('dev');
    expect(gateway.command).toEqual(['npm', 'run', 'dev']);
    expect(scripts['dev']).toMatch(/^tsx watch /);
    expect(gateway.volumes).toContain(`.:${workdir}`);
    expect(gateway.volumes).toContain(`${workdir}/node_modules`);
    expect(gateway.ports).toEqual(['8080:8080']);
    expect(interpolate(String(gateway.environment?.['REDIS_URL']), envValues)).toBe('redis://redis:6379');
    expect(gateway.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
  });

  it('runs the tests on demand, next to Redis on 127.0.0.1:6379 as they expect', () => {
    expect(tests.build).toEqual({ context: '.', target: 'dev' });
    expect(tests.command).toEqual(['npm', 'test']);
    expect(scripts['test']).toBe('vitest run');
    expect(tests.network_mode).toBe('service:redis');
    expect(tests.profiles).toEqual(['test']);
    expect(tests.volumes).toContain(`.:${workdir}`);
    expect(compose.services['redis']?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('uses only variables .env.example documents', () => {
    for (const service of Object.values(compose.services)) {
      for (const name of variableNames(service)) expect(envNames, name).toContain(name);
    }
  });
});
