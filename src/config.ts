/**
 * Standalone configuration: YAML files (config/default.yaml, config/<NODE_ENV>.yaml, then the file
 * named by GATEWAY_CONFIG) overridden by environment variables, loaded by convict, checked against
 * the options schema.
 *
 * Nothing here describes a setting: the convict schema is generated from the TypeBox options schema
 * (schemas/options.ts, whose nodes name their environment variables) and from the providers' own
 * declarations (plugins/providers/index.ts). Pure with respect to the process: the environment is a
 * parameter, so only src/server.ts touches `process.env` (design rule 2). Files are read here because
 * this module is the standalone shell's loader; the gateway plugin itself never reads files or the
 * environment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import convict from 'convict';
import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import {
  ENVIRONMENTS,
  GatewayOptionsSchema,
  ProviderInstanceOptionsSchema,
  StandaloneOptionsSchema,
  type GatewayOptions,
  type ServerOptions,
  type StandaloneOptions,
} from '../schemas/options.js';
import { PROVIDERS } from '../plugins/providers/index.js';
import { loadShippedCatalog } from './catalog.js';
import { GatewayOptionsError, checkGatewayOptions } from './options.js';
import type { ProviderDescriptor } from './provider.js';
import { resolveInstanceSettings } from './provider-registry.js';
import { decryptSecret, isEncryptedSecret, parseMasterKey } from './secrets.js';

export { ENVIRONMENTS };

export interface LoadedConfig {
  environment: StandaloneOptions['env'];
  logLevel: StandaloneOptions['logLevel'];
  server: ServerOptions;
  gateway: GatewayOptions;
  /** The files that were read, in the order they were applied. */
  sources: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// ---- formats ---------------------------------------------------------------------------------------
// Strict formats: convict's built-in ones coerce leniently ("12abc" → 12, "banana" → true), which
// would let a typo in an environment variable start the gateway with a value nobody asked for. They
// are registered when configuration is first loaded, under names of our own, so that importing the
// package (to embed the gateway) leaves the host's convict as it was.

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);
const registeredFormats = new Set<string>();

function registerFormat(format: convict.Format & { name: string }): string {
  if (!registeredFormats.has(format.name)) {
    convict.addFormat(format);
    registeredFormats.add(format.name);
  }
  return format.name;
}

function splitList(value: unknown): unknown {
  return String(value)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

const booleanFormat = () =>
  registerFormat({
    name: 'gateway-boolean',
    coerce: (value: unknown) => {
      const word = String(value).trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      return value;
    },
    validate: (value: unknown) => {
      if (typeof value !== 'boolean') throw new Error('must be true or false');
    },
  });

function integerRule(minimum: number, maximum: number, unit: string | undefined): string {
  const upTo = Number.isFinite(maximum) ? ` up to ${maximum}` : '';
  if (unit === 'port') return `must be an integer port from ${minimum} to ${maximum}`;
  if (unit === 'milliseconds') return `must be a whole number of milliseconds of at least ${minimum}${upTo}`;
  return Number.isFinite(maximum)
    ? `must be a whole number from ${minimum} to ${maximum}`
    : `must be a whole number of ${minimum} or more`;
}

const integerFormat = (minimum: number, maximum: number, unit: string | undefined) =>
  registerFormat({
    name: `gateway-integer:${minimum}:${maximum}:${unit ?? ''}`,
    coerce: (value: unknown) => (/^-?\d+$/.test(String(value).trim()) ? Number(value) : value),
    validate: (value: unknown) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
        throw new Error(integerRule(minimum, maximum, unit));
      }
    },
  });

const numberFormat = (minimum: number, maximum: number, exclusiveMinimum: boolean) =>
  registerFormat({
    name: `gateway-number:${minimum}:${maximum}:${exclusiveMinimum}`,
    coerce: (value: unknown) => (/^-?\d+(\.\d+)?$/.test(String(value).trim()) ? Number(value) : value),
    validate: (value: unknown) => {
      const low = exclusiveMinimum ? (value as number) > minimum : (value as number) >= minimum;
      if (typeof value !== 'number' || !Number.isFinite(value) || !low || value > maximum) {
        const from = exclusiveMinimum ? `above ${minimum}` : `from ${minimum}`;
        throw new Error(`must be a number ${from}${Number.isFinite(maximum) ? ` to ${maximum}` : ''}`);
      }
    },
  });

const stringFormat = () =>
  registerFormat({
    name: 'gateway-string',
    validate: (value: unknown) => {
      if (typeof value !== 'string') throw new Error('must be a string');
    },
  });

const urlFormat = () =>
  registerFormat({
    name: 'gateway-http-url',
    validate: (value: unknown) => {
      let url: URL;
      try {
        url = new URL(String(value));
      } catch {
        throw new Error('must be an absolute http(s) URL');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an http(s) URL');
    },
  });

const optionalUrlFormat = () =>
  registerFormat({
    name: 'gateway-optional-url',
    validate: (value: unknown) => {
      if (value === '') return;
      try {
        new URL(String(value));
      } catch {
        throw new Error('must be a URL such as redis://127.0.0.1:6379, or empty');
      }
    },
  });

const keyListFormat = () =>
  registerFormat({
    name: 'gateway-key-list',
    coerce: splitList,
    validate: (value: unknown) => {
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.length === 0)) {
        throw new Error('must be a comma-separated list of non-empty keys');
      }
      if (value.some((item: string) => item.length < 8)) {
        throw new Error('each key must be at least 8 characters long');
      }
    },
  });

const stringListFormat = () =>
  registerFormat({
    name: 'gateway-string-list',
    coerce: splitList,
    validate: (value: unknown) => {
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
        throw new Error('must be a comma-separated list');
      }
    },
  });

// ---- the convict schema, generated ----------------------------------------------------------------

interface ConvictLeaf {
  doc: string;
  format: string | unknown[];
  default: unknown;
  env?: string;
  sensitive?: boolean;
}

type ConvictTree = { [key: string]: ConvictTree | ConvictLeaf };

function isLeaf(node: ConvictTree | ConvictLeaf): node is ConvictLeaf {
  return 'format' in node && 'default' in node && typeof (node as ConvictLeaf).doc === 'string';
}

function literalValues(node: TSchema): unknown[] | undefined {
  const members = node['anyOf'] as TSchema[] | undefined;
  if (node[Kind] !== 'Union' || !members?.every((member) => member[Kind] === 'Literal')) return undefined;
  return members.map((member) => member['const']);
}

/** The convict format of a setting, or undefined when the node is not a single value (an open part). */
function formatOf(node: TSchema): string | unknown[] | undefined {
  const literals = literalValues(node);
  if (literals) return literals;
  switch (node[Kind]) {
    case 'Boolean':
      return booleanFormat();
    case 'Integer':
      return integerFormat(
        (node['minimum'] as number | undefined) ?? Number.MIN_SAFE_INTEGER,
        (node['maximum'] as number | undefined) ?? Infinity,
        node['unit'] as string | undefined,
      );
    case 'Number':
      return numberFormat(
        (node['minimum'] as number | undefined) ??
          (node['exclusiveMinimum'] as number | undefined) ??
          -Infinity,
        (node['maximum'] as number | undefined) ?? Infinity,
        node['exclusiveMinimum'] !== undefined,
      );
    case 'String':
      if (node['configFormat'] === 'http-url') return urlFormat();
      if (node['configFormat'] === 'optional-url') return optionalUrlFormat();
      return stringFormat();
    case 'Array':
      if ((node['items'] as TSchema | undefined)?.[Kind] !== 'String') return undefined;
      return node['configFormat'] === 'key-list' ? keyListFormat() : stringListFormat();
    default:
      return undefined;
  }
}

function leafOf(node: TSchema, fallbackDefault?: unknown): ConvictLeaf | undefined {
  const value = node['default'] ?? fallbackDefault;
  if (value === undefined) return undefined;
  const format = formatOf(node);
  if (format === undefined) return undefined;
  const leaf: ConvictLeaf = {
    doc: (node['description'] as string | undefined) ?? '',
    format,
    default: value,
  };
  if (node['env']) leaf.env = node['env'] as string;
  if (node['sensitive']) leaf.sensitive = true;
  return leaf;
}

/**
 * Walks an options schema: objects become branches, single values leaves; anything else (records,
 * lists of objects, subtrees marked `configOpen`) is an open part, collected in `open` by path and
 * checked against the options schema once loaded.
 */
function convictTreeOf(schema: TObject, path: string[], open: string[][]): ConvictTree {
  const tree: ConvictTree = {};
  for (const [key, node] of Object.entries(schema.properties as Record<string, TSchema>)) {
    const here = [...path, key];
    if (node[Kind] === 'Object' && node['properties'] && !node['configOpen']) {
      tree[key] = convictTreeOf(node as TObject, here, open);
      continue;
    }
    const leaf = leafOf(node);
    if (leaf) tree[key] = leaf;
    else open.push(here);
  }
  return tree;
}

/** The leaves the providers' variables add: `providers.<type>.<setting>`. */
function providerTree(descriptors: readonly ProviderDescriptor[]): ConvictTree {
  const tree: ConvictTree = {};
  for (const descriptor of descriptors) {
    const branch: ConvictTree = {};
    // The defaults of the keys every instance has, as this provider sets them.
    const commonDefaults: Record<string, unknown> = {
      apiKey: '',
      baseUrl: descriptor.defaultBaseUrl,
      requiresApiKey: descriptor.requiresApiKey,
      enabled: true,
    };
    for (const variable of descriptor.variables) {
      const common = (ProviderInstanceOptionsSchema.properties as Record<string, TSchema>)[variable.setting];
      let leaf: ConvictLeaf | undefined;
      if (variable.setting === 'baseUrl') {
        // A provider without a default base URL (a resource of one's own) reads '' as unset.
        leaf =
          descriptor.defaultBaseUrl === undefined
            ? { doc: variable.doc, format: optionalUrlFormat(), default: '' }
            : { doc: variable.doc, format: urlFormat(), default: descriptor.defaultBaseUrl };
      } else if (common) {
        leaf = leafOf(common, commonDefaults[variable.setting]);
      } else {
        const node = (descriptor.settings.properties as Record<string, TSchema>)[variable.setting];
        leaf = node ? leafOf(node, defaultOfOptional(node)) : undefined;
      }
      if (!leaf) {
        throw new ConfigError(
          `Provider ${descriptor.type} declares ${variable.name} for a setting it does not have a single-value default for: ${variable.setting}`,
        );
      }
      leaf.doc = variable.doc;
      leaf.env = variable.name;
      if (variable.sensitive) leaf.sensitive = true;
      branch[variable.setting] = leaf;
    }
    tree[descriptor.type] = branch;
  }
  return tree;
}

/** A string setting without a default is read from the environment as '' (unset). */
function defaultOfOptional(node: TSchema): unknown {
  return node[Kind] === 'String' ? '' : undefined;
}

interface GeneratedSchema {
  tree: ConvictTree;
  /** Paths of the open parts of the gateway options, taken out of the files before convict. */
  open: string[][];
}

function generateSchema(): GeneratedSchema {
  const open: string[][] = [];
  const { server, ...standalone } = convictTreeOf(StandaloneOptionsSchema, [], []);
  const gateway = convictTreeOf(GatewayOptionsSchema, [], open);
  const tree: ConvictTree = { ...standalone, server: server!, ...gateway };
  const openWithoutProviders = open.filter((path) => path.join('.') !== 'providers');
  tree['providers'] = providerTree(PROVIDERS);
  return { tree, open: openWithoutProviders };
}

export interface EnvironmentVariable {
  name: string;
  /** The setting it fills (`server.port`, `providers.openai.apiKey`). */
  path: string;
  doc: string;
  sensitive: boolean;
}

/** Every environment variable the configuration reads, with what it sets (for docs and checks). */
export function environmentVariables(): EnvironmentVariable[] {
  const found: EnvironmentVariable[] = [
    { name: 'GATEWAY_CONFIG', path: '(file)', doc: 'Extra YAML file', sensitive: false },
  ];
  const walk = (tree: ConvictTree, path: string[]) => {
    for (const [key, node] of Object.entries(tree)) {
      if (!isLeaf(node)) walk(node, [...path, key]);
      else if (node.env) {
        found.push({
          name: node.env,
          path: [...path, key].join('.'),
          doc: node.doc,
          sensitive: node.sensitive === true,
        });
      }
    }
  };
  walk(generateSchema().tree, []);
  return found;
}

// ---- errors -----------------------------------------------------------------------------------------

function findLeaf(tree: ConvictTree, path: string): ConvictLeaf | undefined {
  let node: ConvictTree | ConvictLeaf | undefined = tree;
  for (const part of path.split('.')) {
    if (!node || isLeaf(node)) return undefined;
    node = node[part];
  }
  return node && isLeaf(node) ? node : undefined;
}

/** Rewrites convict's error lines as "KEY (path): what is allowed: value was ..." with secrets masked. */
function describeConvictError(
  tree: ConvictTree,
  error: Error,
  env: Record<string, string | undefined>,
): string {
  const lines = error.message.split('\n').filter((line) => line.trim().length > 0);
  return lines
    .map((line) => {
      // Instance ids and provider types may hold hyphens.
      const match = /^([\w.-]+): (.*)$/.exec(line.trim());
      if (!match) return line;
      const [, path = '', rest = ''] = match;
      const leaf = findLeaf(tree, path);
      const name = leaf?.env ? `${leaf.env} (${path})` : path;
      // convict leaves the value out when it is falsy (0, ""): take it from the environment then.
      const raw = leaf?.env ? env[leaf.env] : undefined;
      const withValue =
        rest.includes(': value was ') || raw === undefined ? rest : `${rest}: value was "${raw}"`;
      const text = leaf?.sensitive
        ? withValue.replace(/: value was .*$/, ': value was <redacted>')
        : withValue;
      return `Invalid configuration: ${name}: ${text}`;
    })
    .join('; ');
}

// ---- files ------------------------------------------------------------------------------------------

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `Config file ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${path} must hold a mapping of settings at its top level`);
  }
  return parsed as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    target[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge({ ...current }, value) : value;
  }
  return target;
}

/** Removes the value at `path` from a tree and returns it (undefined when absent). */
function takeAt(tree: Record<string, unknown>, path: string[]): unknown {
  let node: unknown = tree;
  for (const part of path.slice(0, -1)) {
    if (!isPlainObject(node)) return undefined;
    node = node[part];
  }
  if (!isPlainObject(node)) return undefined;
  const last = path.at(-1)!;
  const value = node[last];
  delete node[last];
  return value;
}

function putAt(tree: Record<string, unknown>, path: string[], value: unknown): void {
  let node = tree;
  for (const part of path.slice(0, -1)) {
    if (!isPlainObject(node[part])) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** Model catalog entries: the shipped catalog, then entries of the user's files replace by id. */
function mergeModels(base: unknown[], extra: unknown): Record<string, unknown>[] {
  const byId = new Map<string, Record<string, unknown>>();
  for (const entry of [...base, ...(Array.isArray(extra) ? extra : [])]) {
    if (!isPlainObject(entry) || typeof entry['id'] !== 'string') {
      throw new ConfigError(
        `Invalid configuration: models: every entry needs an "id" string, got ${JSON.stringify(entry)}`,
      );
    }
    byId.set(entry['id'], { ...(byId.get(entry['id']) ?? {}), ...entry });
  }
  return [...byId.values()];
}

/**
 * Splits the files' `providers` section: the settings the providers' variables also set go through
 * convict (so the environment overrides them); every other setting, and every other instance, is
 * checked later against its provider's own schema.
 */
function splitProviders(
  fileProviders: unknown,
  tree: ConvictTree,
): { convictPart: Record<string, Record<string, unknown>>; rest: Record<string, Record<string, unknown>> } {
  const convictPart: Record<string, Record<string, unknown>> = {};
  const rest: Record<string, Record<string, unknown>> = {};
  if (fileProviders === undefined) return { convictPart, rest };
  if (!isPlainObject(fileProviders)) {
    throw new ConfigError('Invalid configuration: providers: must be a mapping of instances');
  }
  const declared = tree['providers'] as ConvictTree;
  for (const [id, instance] of Object.entries(fileProviders)) {
    if (!isPlainObject(instance))
      throw new ConfigError(`Invalid configuration: providers.${id}: must be a mapping`);
    const known = declared[id] as ConvictTree | undefined;
    for (const [key, value] of Object.entries(instance)) {
      if (known && key in known) (convictPart[id] ??= {})[key] = value;
      else (rest[id] ??= {})[key] = value;
    }
  }
  return { convictPart, rest };
}

/**
 * Replaces each `enc:` value of a provider's settings by its plaintext (src/secrets.ts), with the
 * master key from GATEWAY_MASTER_KEY; a missing or wrong master key stops the start, naming the
 * setting.
 */
function decryptProviderSecrets(
  providers: Record<string, Record<string, unknown>>,
  masterKeyText: string,
): void {
  let masterKey: Buffer | undefined;
  for (const [id, settings] of Object.entries(providers)) {
    for (const [key, value] of Object.entries(settings)) {
      if (!isEncryptedSecret(value)) continue;
      const name = `providers.${id}.${key}`;
      if (!masterKeyText) {
        throw new ConfigError(
          `Invalid configuration: ${name} is encrypted (enc:) but GATEWAY_MASTER_KEY is not set: set it to the ` +
            'master key the value was encrypted with',
        );
      }
      try {
        masterKey ??= parseMasterKey(masterKeyText);
      } catch (error) {
        throw new ConfigError(`Invalid configuration: GATEWAY_MASTER_KEY: ${(error as Error).message}`);
      }
      try {
        settings[key] = decryptSecret(value, masterKey);
      } catch (error) {
        throw new ConfigError(
          `Invalid configuration: ${name} cannot be decrypted with GATEWAY_MASTER_KEY: ${(error as Error).message}`,
        );
      }
    }
  }
}

/**
 * The key of an instance that sets none, from the variable its settings name (a preset of a hosted
 * server names its key's usual variable: an instance of it needs no `apiKey` in the file). An
 * instance whose settings are wrong is left as it is: building it reports them.
 */
function readImpliedKeys(
  providers: Record<string, Record<string, unknown>>,
  env: Record<string, string | undefined>,
): void {
  const byType = new Map(PROVIDERS.map((descriptor) => [descriptor.type, descriptor]));
  for (const [id, instance] of Object.entries(providers)) {
    const descriptor = byType.get(typeof instance['type'] === 'string' ? instance['type'] : id);
    if (instance['apiKey'] || !descriptor?.instanceDefaults) continue;
    let variable: string | undefined;
    try {
      const settings = resolveInstanceSettings(descriptor.settings, id, instance);
      const baseUrl = typeof instance['baseUrl'] === 'string' ? instance['baseUrl'] : undefined;
      variable = descriptor.instanceDefaults(settings, { baseUrl }).apiKeyVariable;
    } catch {
      continue;
    }
    if (variable && env[variable]) instance['apiKey'] = env[variable];
  }
}

/**
 * Without any key the gateway is in protected mode and trusts every loopback peer, which in a
 * production deployment is often a reverse proxy or a sidecar relaying everyone. A production start
 * needs keys, or the operator's word that protected mode is meant (ALLOW_UNAUTHENTICATED=true).
 * Admin and metrics keys do not count: they open no model route.
 */
function refuseUnauthenticatedProduction(environment: unknown, auth: GatewayOptions['auth']): void {
  if (environment !== 'production' || auth.allowUnauthenticated) return;
  const keys =
    (auth.mode === 'client' ? 0 : auth.apiKeys.length) + (auth.mode === 'gateway' ? 0 : auth.clients.length);
  if (keys > 0) return;
  throw new ConfigError(
    'Invalid configuration: NODE_ENV is production and no key is configured (GATEWAY_API_KEYS, auth.clients), ' +
      'so the gateway would run in protected mode and answer every client that reaches it through this ' +
      'machine. Set GATEWAY_API_KEYS=<key>[,<key>...], or ALLOW_UNAUTHENTICATED=true to run in protected ' +
      'mode anyway.',
  );
}

export interface LoadConfigInput {
  /** The process environment (or a test's stand-in). */
  env: Record<string, string | undefined>;
  /** Folder holding default.yaml and <env>.yaml. */
  configDirectory: string;
}

export function loadConfig({ env, configDirectory }: LoadConfigInput): LoadedConfig {
  const { tree, open } = generateSchema();
  const environment = env['NODE_ENV'] ?? 'development';
  if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
    throw new ConfigError(
      `Invalid configuration: NODE_ENV: must be one of ${ENVIRONMENTS.join(', ')}: value was "${environment}"`,
    );
  }

  const files = [join(configDirectory, 'default.yaml'), join(configDirectory, `${environment}.yaml`)].filter(
    (file) => existsSync(file),
  );
  const userFile = env['GATEWAY_CONFIG'];
  if (userFile) {
    if (!existsSync(userFile)) {
      throw new ConfigError(`Invalid configuration: GATEWAY_CONFIG: file not found: value was "${userFile}"`);
    }
    files.push(userFile);
  }

  const merged: Record<string, unknown> = {};
  for (const file of files) deepMerge(merged, readYaml(file));

  // The open parts (catalog entries, routing, client keys, extra instances and provider settings)
  // are checked against the options schema below; convict checks the single values and applies the
  // environment.
  const fileModels = takeAt(merged, ['models']);
  const { convictPart, rest } = splitProviders(takeAt(merged, ['providers']), tree);
  const openValues = open.map((path) => [path, takeAt(merged, path)] as const);

  const config = convict(tree as convict.Schema<Record<string, unknown>>, { env, args: [] });
  try {
    config.load({ ...merged, providers: convictPart });
    config.validate({ allowed: 'strict' });
  } catch (error) {
    throw new ConfigError(describeConvictError(tree, error as Error, env));
  }
  const {
    env: loadedEnvironment,
    logLevel,
    masterKey,
    server,
    providers: loadedProviders,
    ...gatewayValues
  } = config.getProperties() as Record<string, unknown>;

  for (const [path, value] of openValues) if (value !== undefined) putAt(gatewayValues, path, value);
  const providers: Record<string, Record<string, unknown>> = structuredClone(rest);
  for (const [id, settings] of Object.entries(loadedProviders as Record<string, Record<string, unknown>>)) {
    // A variable left empty is a setting left unset (its default, or what the instance's preset says).
    const set = Object.entries(settings).filter(([, value]) => value !== '');
    providers[id] = { ...providers[id], ...Object.fromEntries(set) };
  }
  decryptProviderSecrets(providers, masterKey as string);
  readImpliedKeys(providers, env);
  gatewayValues['providers'] = providers;
  gatewayValues['models'] = mergeModels(loadShippedCatalog(PROVIDERS), fileModels);

  let gateway: GatewayOptions;
  try {
    gateway = checkGatewayOptions(gatewayValues);
  } catch (error) {
    if (!(error instanceof GatewayOptionsError)) throw error;
    throw new ConfigError(
      error.message.replace(/^(Unknown|Invalid) gateway option /, 'Invalid configuration: '),
    );
  }
  refuseUnauthenticatedProduction(loadedEnvironment, gateway.auth);
  const standalone = Value.Default(StandaloneOptionsSchema, {
    env: loadedEnvironment,
    logLevel,
    masterKey,
    server,
  }) as StandaloneOptions;
  return {
    environment: standalone.env,
    logLevel: standalone.logLevel,
    server: standalone.server,
    gateway,
    sources: files,
  };
}
