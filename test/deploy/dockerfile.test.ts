/** The Dockerfile and .dockerignore, read with a Dockerfile parser and checked against the project. */
import { existsSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import {
  findInstructions,
  readCopySource,
  readDockerStages,
  readExecForm,
  readFlags,
  readProjectFile,
  type DockerStage,
} from './read-deployment-files.js';

const stages = readDockerStages();
const stage = (name: string): DockerStage => {
  const found = stages.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no stage ${name} in the Dockerfile`);
  return found;
};
const runtime = stages.at(-1)!;
const lastOf = (found: DockerStage, keyword: string) => findInstructions(found, keyword).at(-1);

describe('Dockerfile', () => {
  it('builds in stages on Node 24 and ends with the runtime stage, the default target', () => {
    expect(stages.map((found) => found.name)).toEqual(['build', 'production-dependencies', 'dev', 'runtime']);
    for (const found of stages) expect(found.image, found.name).toMatch(/^node:24(-slim|-alpine)$/);
    expect(runtime.name).toBe('runtime');
  });

  it('compiles every source folder of tsconfig.build.json that exists', () => {
    const build = stage('build');
    const copied = findInstructions(build, 'COPY').flatMap(
      (instruction) => readCopySource(instruction).sources,
    );
    const { include } = JSON.parse(readProjectFile('tsconfig.build.json')) as { include: string[] };
    const present = include.filter((folder) => existsSync(join(PACKAGE_ROOT, folder)));
    expect(present.length).toBeGreaterThan(0);
    for (const folder of present) expect(copied, folder).toContain(folder);
    const compile = findInstructions(build, 'RUN').map(
      (instruction) => instruction.getArgumentsContent() ?? '',
    );
    expect(compile.some((command) => command.includes('tsc -p tsconfig.build.json'))).toBe(true);
    // The providers' catalogs go along with the compiled code (what `npm run build` does too).
    expect(compile.some((command) => command.includes('node scripts/copy-assets.ts'))).toBe(true);
    // The dashboard too (plugins/ui.ts serves dist/ui), from its sources.
    expect(copied).toContain('ui');
    expect(compile.some((command) => command.includes('vite.js build --config ui/vite.config.ts'))).toBe(
      true,
    );
  });

  it('installs production dependencies only for the runtime', () => {
    const install = findInstructions(stage('production-dependencies'), 'RUN')
      .map((instruction) => instruction.getArgumentsContent() ?? '')
      .join('\n');
    expect(install).toContain('npm ci');
    expect(install).toContain('--omit=dev');
    const copies = findInstructions(runtime, 'COPY').map(readCopySource);
    expect(copies).toContainEqual({
      from: 'production-dependencies',
      sources: ['/app/node_modules'],
      target: './node_modules',
    });
    // Nothing of the full install (or the npm cache) reaches the runtime image.
    expect(copies.filter((copy) => copy.from !== undefined).map((copy) => copy.from)).not.toContain('dev');
    expect(findInstructions(runtime, 'RUN')).toEqual([]);
  });

  it('gives the runtime what the code reads at start: dist, config and package.json', () => {
    const copies = findInstructions(runtime, 'COPY').map(readCopySource);
    expect(copies).toContainEqual({ from: 'build', sources: ['/app/dist'], target: './dist' });
    expect(copies).toContainEqual({ from: undefined, sources: ['config'], target: './config' });
    expect(copies).toContainEqual({ from: undefined, sources: ['package.json'], target: './' });
    expect(existsSync(join(PACKAGE_ROOT, 'config', 'default.yaml'))).toBe(true);
    expect(lastOf(runtime, 'WORKDIR')?.getArgumentsContent()).toBe('/app');
  });

  it('runs as the unprivileged node user, by number so Kubernetes can verify it', () => {
    const user = lastOf(runtime, 'USER')?.getArgumentsContent() ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    const [uid] = user.split(':');
    expect(Number(uid)).toBe(1000); // the node user of the official Node images
  });

  it('starts the compiled server with the production settings and stops on SIGTERM', () => {
    const command = readExecForm(lastOf(runtime, 'CMD')!);
    expect(command).toEqual(['node', 'dist/src/server.js']);
    expect(existsSync(join(PACKAGE_ROOT, 'src', 'server.ts'))).toBe(true);
    expect(lastOf(runtime, 'STOPSIGNAL')?.getArgumentsContent()).toBe('SIGTERM');
    expect(
      findInstructions(runtime, 'ENV').map((instruction) => instruction.getArgumentsContent()),
    ).toContain('NODE_ENV=production');
    expect(lastOf(runtime, 'EXPOSE')?.getArgumentsContent()).toBe('8080');
    expect(findInstructions(runtime, 'ENTRYPOINT')).toEqual([]);
  });

  it('checks health on /health at the configured port (run against a live server in test/e2e)', () => {
    const healthcheck = lastOf(runtime, 'HEALTHCHECK')!;
    const command = readExecForm(healthcheck);
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toContain("'/health'");
    expect(command[2]).toContain('process.env.GATEWAY_PORT || 8080');
    // The request gives up before Docker's own timeout does, so a hung gateway reads as unhealthy.
    const flags = readFlags(healthcheck);
    const dockerTimeoutMs = Number(/^(\d+)s$/.exec(flags.get('timeout') ?? '')?.[1]) * 1000;
    const fetchTimeoutMs = Number(/AbortSignal\.timeout\((\d+)\)/.exec(command[2]!)?.[1]);
    expect(fetchTimeoutMs).toBeGreaterThan(0);
    expect(fetchTimeoutMs).toBeLessThan(dockerTimeoutMs);
    expect(flags.has('start-period')).toBe(true);
  });

  it('runs the development stage as the node user with the dev script', () => {
    const dev = stage('dev');
    expect(lastOf(dev, 'USER')?.getArgumentsContent()).toBe('node');
    expect(readExecForm(lastOf(dev, 'CMD')!)).toEqual(['npm', 'run', 'dev']);
  });
});

describe('.dockerignore', () => {
  const patterns = readProjectFile('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  const ignored = (path: string) => patterns.some((pattern) => matchesGlob(path, pattern));

  it('keeps secrets, local installs and build output out of the build context', () => {
    for (const path of ['.env', '.env.local', 'node_modules', 'dist', '.git', 'coverage', 'test']) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('keeps everything the Dockerfile copies from the context', () => {
    const fromContext = stages
      .flatMap((found) => findInstructions(found, 'COPY').map(readCopySource))
      .filter((copy) => copy.from === undefined)
      .flatMap((copy) => copy.sources);
    expect(fromContext.length).toBeGreaterThan(0);
    for (const path of fromContext) {
      expect(existsSync(join(PACKAGE_ROOT, path)), path).toBe(true);
      expect(ignored(path), path).toBe(false);
    }
  });
});
