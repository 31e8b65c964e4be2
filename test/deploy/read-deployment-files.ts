/**
 * Reads the deployment files (Dockerfile, compose files, Kubernetes manifests, Helm chart) for the
 * tests that cross-check them against the code: no Docker engine, Kubernetes or Helm is needed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse, parseAllDocuments } from 'yaml';
import { PACKAGE_ROOT } from '../../src/package-root.js';

export function readProjectFile(relativePath: string): string {
  return readFileSync(join(PACKAGE_ROOT, relativePath), 'utf8');
}

export function readYaml<T = Record<string, unknown>>(relativePath: string): T {
  return parse(readProjectFile(relativePath)) as T;
}

/** Every document of a multi-document YAML file; a syntax error in any of them throws. */
export function readYamlDocuments(relativePath: string): Record<string, unknown>[] {
  return parseAllDocuments(readProjectFile(relativePath)).map((document) => {
    if (document.errors.length > 0) throw new Error(`${relativePath}: ${document.errors[0]!.message}`);
    return document.toJS() as Record<string, unknown>;
  });
}

export const PACKAGE_VERSION = (JSON.parse(readProjectFile('package.json')) as { version: string }).version;

const ASSIGNMENT = /^#?\s*([A-Z][A-Z0-9_]*)=/;

/** The variable names .env.example documents, commented-out examples included. */
export function readEnvExampleNames(): Set<string> {
  const names = new Set<string>();
  for (const line of readProjectFile('.env.example').split('\n')) {
    const match = ASSIGNMENT.exec(line);
    if (match) names.add(match[1]!);
  }
  return names;
}

/** The values .env.example sets (what a fresh `cp .env.example .env` gives). */
export function readEnvExampleValues(): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of readProjectFile('.env.example').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) values.set(match[1]!, match[2]!);
  }
  return values;
}

export interface DockerStage {
  name: string;
  image: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages in order, each with its instructions (the FROM line included). */
export function readDockerStages(): DockerStage[] {
  const dockerfile = DockerfileParser.parse(readProjectFile('Dockerfile'));
  const stages: DockerStage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = dockerfile
        .getFROMs()
        .find((candidate) => candidate.getRange().start.line === instruction.getRange().start.line);
      stages.push({ name: from?.getBuildStage() ?? '', image: from?.getImage() ?? '', instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

export function findInstructions(stage: DockerStage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.getKeyword() === keyword);
}

/**
 * An exec-form (JSON array) argument list, as Docker reads it: `CMD ["node", "x.js"]` → ['node', 'x.js'].
 * For HEALTHCHECK, what follows its CMD subcommand.
 * @see https://docs.docker.com/reference/dockerfile/#shell-and-exec-form
 */
export function readExecForm(instruction: Instruction): string[] {
  const content = instruction.getArgumentsContent() ?? '';
  const json =
    instruction.getKeyword() === 'HEALTHCHECK' ? content.slice(content.indexOf('CMD') + 3) : content;
  const parsed = JSON.parse(json.trim()) as unknown;
  if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== 'string')) {
    throw new Error(`${instruction.getKeyword()} is not in exec form: ${content}`);
  }
  return parsed as string[];
}

/** An instruction's flags (`--from=build`, `--timeout=3s`) by name. */
export function readFlags(instruction: Instruction): Map<string, string> {
  // COPY, HEALTHCHECK and the other instructions that take flags are ModifiableInstructions.
  const flags = (instruction as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] })
    .getFlags()
    .map((flag) => [flag.getName(), flag.getValue() ?? ''] as const);
  return new Map(flags);
}

/** A COPY's `--from` stage (undefined when it copies from the build context), sources and target. */
export function readCopySource(instruction: Instruction): {
  from?: string;
  sources: string[];
  target: string;
} {
  const paths = instruction.getArguments().map((argument) => argument.getValue());
  return {
    from: readFlags(instruction).get('from'),
    sources: paths.slice(0, -1),
    target: paths.at(-1) ?? '',
  };
}

/**
 * The memory bound and eviction policy a Redis is started with: from `redis-server` arguments
 * (`--maxmemory 256mb`) or redis.conf lines (`maxmemory 256mb`).
 * @see https://redis.io/docs/latest/develop/reference/eviction/
 */
export function readRedisMemorySettings(settings: readonly string[] | string): {
  maxmemory: string | undefined;
  policy: string | undefined;
} {
  const words =
    typeof settings === 'string'
      ? settings.split('\n').flatMap((line) => line.trim().split(/\s+/))
      : settings.map((word) => word.replace(/^--/, ''));
  const after = (name: string) => {
    const at = words.indexOf(name);
    return at < 0 ? undefined : words[at + 1];
  };
  return { maxmemory: after('maxmemory'), policy: after('maxmemory-policy') };
}

/**
 * Whether Redis with these settings can only evict keys that have a TTL: bounded memory, and a
 * `volatile-*` policy (usage and budgets carry no TTL, so they are never evicted).
 */
export function evictsOnlyExpiringKeys(settings: readonly string[] | string): boolean {
  const { maxmemory, policy } = readRedisMemorySettings(settings);
  return (
    maxmemory !== undefined &&
    /^\d+(mb|gb)$/i.test(maxmemory) &&
    ['volatile-lru', 'volatile-lfu', 'volatile-ttl'].includes(policy ?? '')
  );
}
