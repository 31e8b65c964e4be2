/**
 * The Helm chart, checked without Helm (none is installed here, and nothing renders the templates):
 * Chart.yaml's fields, values.yaml against every `.Values` path the templates read, every named
 * template they include, the balance of their blocks, the YAML around their actions, and the values
 * against the gateway's settings and the k8s/ manifests. What only a render shows (the output of
 * `toYaml | nindent`, the result of conditions) is not checked here.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { describe, expect, it } from 'vitest';
import { environmentVariables } from '../../src/config.js';
import { PROVIDERS } from '../../plugins/providers/index.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import {
  PACKAGE_VERSION,
  readEnvExampleNames,
  readProjectFile,
  readYaml,
  readYamlDocuments,
  evictsOnlyExpiringKeys,
} from './read-deployment-files.js';

const CHART = 'charts/llm-gateway';
const TEMPLATES = `${CHART}/templates`;

interface Chart {
  apiVersion: string;
  name: string;
  version: string;
  appVersion: string;
  type: string;
  dependencies: { name: string; version: string; repository: string; condition: string }[];
}
const chart = readYaml<Chart>(`${CHART}/Chart.yaml`);
const values = readYaml(`${CHART}/values.yaml`);
const templateFiles = readdirSync(join(PACKAGE_ROOT, TEMPLATES)).sort();
const templates = new Map(templateFiles.map((file) => [file, readProjectFile(`${TEMPLATES}/${file}`)]));

/**
 * The actions of a Go template, `{{ ... }}` with optional trim markers, comments left out.
 * @see https://pkg.go.dev/text/template#hdr-Actions
 */
const ACTION = /\{\{(?:-\s)?([\s\S]*?)(?:\s-)?\}\}/g;
function actionsOf(text: string): string[] {
  return [...text.matchAll(ACTION)]
    .map((match) => match[1]!.trim())
    .filter((action) => !action.startsWith('/*'));
}

/** A value at a dotted path of values.yaml, or undefined when a key on the way is missing. */
function valueAt(path: string[]): { found: boolean; value?: unknown } {
  let node: unknown = values;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !(key in node)) return { found: false };
    node = (node as Record<string, unknown>)[key];
  }
  return { found: true, value: node };
}

const envNames = readEnvExampleNames();
const configNames = new Set(environmentVariables().map((variable) => variable.name));

/** The secret variables every provider of the manifest declares (its key and the like). */
function providerSecretVariables(): string[] {
  return PROVIDERS.flatMap((provider) =>
    provider.variables.filter((variable) => variable.sensitive).map((variable) => variable.name),
  );
}

describe('Chart.yaml', () => {
  it('describes an application chart whose appVersion is the gateway version', () => {
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('llm-gateway');
    expect(chart.type).toBe('application');
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(chart.appVersion).toBe(PACKAGE_VERSION);
  });

  it('declares bitnami/redis and bitnami/postgresql as optional subcharts, without vendoring them', () => {
    expect(chart.dependencies).toEqual(
      ['redis', 'postgresql'].map((name) => ({
        name,
        version: expect.stringMatching(/^\d+\.(x|\d+)\.(x|\d+)$/),
        repository: 'oci://registry-1.docker.io/bitnamicharts',
        condition: `${name}.enabled`,
      })),
    );
    expect(valueAt(['redis', 'enabled'])).toEqual({ found: true, value: false });
    expect(valueAt(['postgresql', 'enabled'])).toEqual({ found: true, value: false });
    expect(existsSync(join(PACKAGE_ROOT, CHART, 'charts'))).toBe(false);
  });

  it("gives the gateway the subchart's PostgreSQL as DATABASE_URL, built from a required password", () => {
    const helpers = readProjectFile(`${CHART}/templates/_helpers.tpl`);
    expect(helpers).toMatch(/required "postgresql\.enabled needs postgresql\.auth\.password/);
    expect(helpers).toContain('postgresql://%s:%s@%s:5432/%s');
    const secret = readProjectFile(`${CHART}/templates/secret.yaml`);
    expect(secret).toContain('-database-url');
    expect(secret).toContain('DATABASE_URL: {{ include "llm-gateway.postgresqlUrl" . | b64enc | quote }}');
    const deployment = readProjectFile(`${CHART}/templates/deployment.yaml`);
    expect(deployment).toMatch(
      /- name: DATABASE_URL\s+valueFrom:\s+secretKeyRef:\s+name: \{\{ include "llm-gateway\.fullname" \. \}\}-database-url/,
    );
    expect(valueAt(['postgresql', 'auth', 'password'])).toEqual({ found: true, value: '' });
  });

  it("configures the subchart's Redis bounded, evicting only keys with a TTL (the cache)", () => {
    const configuration = valueAt(['redis', 'commonConfiguration']);
    expect(configuration.found).toBe(true);
    expect(evictsOnlyExpiringKeys(String(configuration.value))).toBe(true);
  });
});

describe('chart templates', () => {
  it('are all there', () => {
    for (const file of [
      '_helpers.tpl',
      'NOTES.txt',
      'configmap.yaml',
      'deployment.yaml',
      'hpa.yaml',
      'ingress.yaml',
      'pdb.yaml',
      'secret.yaml',
      'service.yaml',
      'serviceaccount.yaml',
      'servicemonitor.yaml',
    ]) {
      expect(templateFiles).toContain(file);
    }
  });

  it('read only values that values.yaml defines', () => {
    let checked = 0;
    for (const [file, text] of templates) {
      for (const match of text.matchAll(/\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        const path = match[1]!.slice(1).split('.');
        expect(valueAt(path).found, `${file}: .Values.${path.join('.')}`).toBe(true);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('include only named templates that are defined', () => {
    const defined = new Set<string>();
    for (const text of templates.values()) {
      for (const match of text.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)) defined.add(match[1]!);
    }
    expect(defined.size).toBeGreaterThan(5);
    for (const [file, text] of templates) {
      for (const match of text.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)) {
        expect(defined, `${file}: ${match[1]}`).toContain(match[1]);
      }
    }
  });

  it('close every block they open', () => {
    for (const [file, text] of templates) {
      const open: string[] = [];
      for (const action of actionsOf(text)) {
        const word = /^[a-z]+/.exec(action)?.[0];
        if (word === 'if' || word === 'range' || word === 'with' || word === 'define' || word === 'block') {
          open.push(word);
        } else if (word === 'end') {
          expect(open.pop(), `${file}: an {{ end }} closes nothing`).toBeDefined();
        } else if (word === 'else') {
          expect(open.length, `${file}: {{ else }} outside a block`).toBeGreaterThan(0);
        }
      }
      expect(open, `${file}: blocks left open`).toEqual([]);
    }
  });

  it('are YAML around their actions', () => {
    for (const [file, text] of templates) {
      if (!file.endsWith('.yaml')) continue;
      let counter = 0;
      const skeleton = text
        .split('\n')
        // A line that is only actions (`{{- if ... }}`) adds no YAML of its own.
        .filter((line) => !(line.includes('{{') && line.replace(ACTION, '').trim() === ''))
        .join('\n')
        .replace(ACTION, () => `placeholder${(counter += 1)}`);
      for (const document of parseAllDocuments(skeleton)) {
        expect(
          document.errors.map((error) => error.message),
          file,
        ).toEqual([]);
      }
    }
  });

  it('make the objects of the expected API versions', () => {
    const expected: Record<string, string[]> = {
      'configmap.yaml': ['v1', 'ConfigMap'],
      'deployment.yaml': ['apps/v1', 'Deployment'],
      'hpa.yaml': ['autoscaling/v2', 'HorizontalPodAutoscaler'],
      'ingress.yaml': ['networking.k8s.io/v1', 'Ingress'],
      'pdb.yaml': ['policy/v1', 'PodDisruptionBudget'],
      'secret.yaml': ['v1', 'Secret'],
      'service.yaml': ['v1', 'Service'],
      'serviceaccount.yaml': ['v1', 'ServiceAccount'],
      'servicemonitor.yaml': ['monitoring.coreos.com/v1', 'ServiceMonitor'],
    };
    for (const [file, [apiVersion, kind]] of Object.entries(expected)) {
      const text = templates.get(file) ?? '';
      expect(text, file).toMatch(new RegExp(`^apiVersion: ${apiVersion}$`, 'm'));
      expect(text, file).toMatch(new RegExp(`^kind: ${kind}$`, 'm'));
    }
  });

  it('probe the gateway health paths and run the image at the chart appVersion by default', () => {
    const deployment = templates.get('deployment.yaml')!;
    expect(deployment).toContain('path: /v1/health/ready');
    expect(deployment).toContain('path: /v1/health/live');
    expect(deployment).toContain('.Values.image.tag | default .Chart.AppVersion');
    expect(valueAt(['image', 'repository']).value).toBe('llm-gateway');
    expect(valueAt(['image', 'tag']).value).toBe('');
    expect(valueAt(['containerPort']).value).toBe(8080);
    expect(templates.get('configmap.yaml')).toContain('GATEWAY_PORT: {{ .Values.containerPort | quote }}');
  });
});

describe('values.yaml', () => {
  const config = values['config'] as Record<string, string>;
  const secrets = values['secrets'] as Record<string, string>;

  it('sets the gateway by the variable names it reads', () => {
    for (const name of [
      ...Object.keys(config),
      ...Object.keys(secrets),
      'GATEWAY_PORT',
      'GATEWAY_HOST',
      'REDIS_URL',
    ]) {
      expect(envNames, `${name} in .env.example`).toContain(name);
      expect(configNames, `${name} read by src/config.ts`).toContain(name);
    }
    expect(config['NODE_ENV']).toBe('production');
    for (const value of Object.values(config))
      expect(typeof value, 'ConfigMap data are strings').toBe('string');
  });

  it('holds no secret, and keeps keys out of the ConfigMap', () => {
    // Every provider's secret variables, from the manifest: a provider added there must be here too.
    const expected = Object.fromEntries(
      [
        'GATEWAY_API_KEYS',
        'METRICS_API_KEYS',
        'GATEWAY_ADMIN_KEYS',
        'DATABASE_URL',
        ...providerSecretVariables(),
      ].map((name) => [name, '']),
    );
    expect(secrets).toEqual(expected);
    for (const name of Object.keys(secrets)) expect(Object.keys(config)).not.toContain(name);
    expect(valueAt(['existingSecret']).value).toBe('');
    expect(valueAt(['externalRedis', 'url']).value).toBe('');
  });

  it('leaves the drain its time: grace period > preStop sleep + SHUTDOWN_TIMEOUT', () => {
    const grace = valueAt(['terminationGracePeriodSeconds']).value as number;
    const preStop = valueAt(['preStopSleepSeconds']).value as number;
    expect(preStop).toBeGreaterThan(0);
    expect(grace).toBeGreaterThan(preStop + Number(config['SHUTDOWN_TIMEOUT']) / 1000);
    // The template refuses to render a release that breaks the rule.
    expect(templates.get('deployment.yaml')).toMatch(/fail \(printf "terminationGracePeriodSeconds/);
  });

  it("mounts a writable data volume where the store's SQLite file goes, and takes DATABASE_URL from the Secret", () => {
    const deployment = templates.get('deployment.yaml')!;
    expect(deployment).toContain(`mountPath: ${config['DATA_DIR']}`);
    expect(deployment).toContain('sizeLimit: {{ .Values.dataVolume.sizeLimit }}');
    expect(valueAt(['dataVolume', 'sizeLimit']).found).toBe(true);
    expect(Object.keys(secrets)).toContain('DATABASE_URL');
  });

  it('runs the pods as unprivileged as the k8s/ manifests do', () => {
    const [manifest] = readYamlDocuments('k8s/deployment.yaml') as unknown as IDeployment[];
    const pod = manifest!.spec!.template.spec!;
    expect(values['securityContext']).toEqual(pod.containers[0]!.securityContext);
    expect(values['podSecurityContext']).toEqual(pod.securityContext);
    expect(values['resources']).toEqual(pod.containers[0]!.resources);
  });

  it('scrapes /metrics with a ServiceMonitor only when asked, with a bearer token from a Secret', () => {
    expect(values['serviceMonitor']).toMatchObject({
      enabled: false,
      path: '/metrics',
      bearerTokenSecret: { name: '', key: '' },
    });
    const monitor = templates.get('servicemonitor.yaml')!;
    expect(monitor).toContain('{{- if .Values.serviceMonitor.enabled }}');
    expect(monitor).toContain('bearerTokenSecret:');
    expect(monitor).toContain('name: {{ .Values.serviceMonitor.bearerTokenSecret.name }}');
  });

  it('has switches for autoscaling, the disruption budget and the ingress', () => {
    expect(values['autoscaling']).toMatchObject({
      enabled: false,
      minReplicas: 2,
      targetCPUUtilizationPercentage: 70,
    });
    expect(values['podDisruptionBudget']).toEqual({ enabled: true, maxUnavailable: 1 });
    expect(values['ingress']).toMatchObject({ enabled: false });
    expect(templates.get('deployment.yaml')).toContain('{{- if not .Values.autoscaling.enabled }}');
  });
});
