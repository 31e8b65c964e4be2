/**
 * The k8s/ manifests: each document validated against the Kubernetes API schema of its kind
 * (kubernetes-models), then cross-checked with each other and with the gateway's settings.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import {
  PodDisruptionBudget,
  type IPodDisruptionBudget,
} from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { describe, expect, it } from 'vitest';
import { environmentVariables } from '../../src/config.js';
import { PROVIDERS } from '../../plugins/providers/index.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import {
  PACKAGE_VERSION,
  findInstructions,
  readDockerStages,
  readEnvExampleNames,
  readYaml,
  readYamlDocuments,
} from './read-deployment-files.js';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string } };

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'v1 Secret': Secret,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
};

const manifestFiles = readdirSync(join(PACKAGE_ROOT, 'k8s'))
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .sort();
const documents = manifestFiles.flatMap((file) =>
  readYamlDocuments(`k8s/${file}`).map((document) => ({ file, manifest: document as unknown as Manifest })),
);

function find<T>(kind: string, name: string): T {
  const found = documents.find(({ manifest }) => manifest.kind === kind && manifest.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in k8s/`);
  return found.manifest as unknown as T;
}

const deployment = find<IDeployment>('Deployment', 'llm-gateway');
const podSpec = deployment.spec!.template.spec!;
const container: IContainer = podSpec.containers[0]!;
const configMap = find<IConfigMap>('ConfigMap', 'llm-gateway-config');
const secret = find<ISecret>('Secret', 'llm-gateway-secrets');
const service = find<IService>('Service', 'llm-gateway');
const podLabels = deployment.spec!.template.metadata!.labels!;
const envNames = readEnvExampleNames();
const configNames = new Set(environmentVariables().map((variable) => variable.name));

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.keys(selector ?? {}).length > 0 &&
  Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);

describe('k8s/ manifests', () => {
  it('are valid objects of their Kubernetes kind', () => {
    expect(documents.length).toBeGreaterThanOrEqual(8);
    for (const { file, manifest } of documents) {
      const Model = MODELS[`${manifest.apiVersion} ${manifest.kind}`];
      expect(Model, `${file}: ${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      expect(() => new Model!(manifest as never).validate(), `${file}: ${manifest.kind}`).not.toThrow();
    }
  });

  it('are all listed in kustomization.yaml, except the Secret template', () => {
    const kustomization = readYaml<{ resources: string[] }>('k8s/kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(
      manifestFiles.filter((file) => file !== 'secret.example.yaml'),
    );
  });

  it('run the gateway image of this version on port 8080', () => {
    expect(container.image).toBe(`llm-gateway:${PACKAGE_VERSION}`);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(configMap.data?.['GATEWAY_PORT']).toBe('8080');
    expect(configMap.data?.['GATEWAY_HOST']).toBe('0.0.0.0');
    expect(configMap.data?.['NODE_ENV']).toBe('production');
  });

  it('probe readiness and liveness on the gateway health paths', () => {
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/v1/health/ready', port: 'http' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/v1/health/live', port: 'http' });
    expect(container.startupProbe?.httpGet).toEqual({ path: '/v1/health/live', port: 'http' });
  });

  it('run unprivileged: non-root, read-only root filesystem, no capabilities, no escalation', () => {
    const imageUser = findInstructions(readDockerStages().at(-1)!, 'USER').at(-1)?.getArgumentsContent();
    expect(podSpec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: Number(imageUser?.split(':')[0]),
    });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    // The store's SQLite file, when DATABASE_URL is not set, goes to a writable volume.
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(podSpec.volumes?.find((volume) => volume.name === 'data')?.emptyDir).toBeDefined();
    expect(podSpec.automountServiceAccountToken).toBe(false);
    expect(podSpec.enableServiceLinks).toBe(false);
    expect(container.resources?.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources?.limits).toMatchObject({ memory: expect.any(String) });
  });

  it('leave the drain its time: grace period > preStop sleep + SHUTDOWN_TIMEOUT', () => {
    const command = container.lifecycle?.preStop?.exec?.command ?? [];
    expect(command[0]).toBe('sleep');
    const preStopSeconds = Number(command[1]);
    expect(preStopSeconds).toBeGreaterThan(0);
    const drainSeconds = Number(configMap.data?.['SHUTDOWN_TIMEOUT']) / 1000;
    expect(drainSeconds).toBeGreaterThan(0);
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + drainSeconds);
  });

  it('take settings from the ConfigMap, then the Secret, by names the gateway reads', () => {
    expect(container.envFrom).toEqual([
      { configMapRef: { name: configMap.metadata!.name } },
      { secretRef: { name: secret.metadata!.name } },
    ]);
    const names = [...Object.keys(configMap.data ?? {}), ...Object.keys(secret.stringData ?? {})];
    for (const name of names) {
      expect(envNames, `${name} in .env.example`).toContain(name);
      expect(configNames, `${name} read by src/config.ts`).toContain(name);
    }
  });

  it('keep keys out of the ConfigMap, and only placeholders in the Secret template', () => {
    const secretNames = Object.keys(secret.stringData ?? {});
    // Every provider's secret variables, from the manifest: a provider added there must be here too.
    const providerSecrets = PROVIDERS.flatMap((provider) =>
      provider.variables.filter((variable) => variable.sensitive).map((variable) => variable.name),
    );
    expect(secretNames.sort()).toEqual(['GATEWAY_API_KEYS', ...providerSecrets].sort());
    for (const name of secretNames) expect(Object.keys(configMap.data ?? {})).not.toContain(name);
    for (const value of Object.values(secret.stringData ?? {})) {
      for (const item of value.split(',')) expect(item).toMatch(/^REPLACE_WITH_[A-Z0-9_]+$/);
    }
  });

  it('expose the pods through a Service on the named port', () => {
    expect(matches(service.spec?.selector, podLabels)).toBe(true);
    expect(service.spec?.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('autoscale the Deployment on CPU and budget one disruption at a time', () => {
    const autoscaler = find<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'llm-gateway');
    expect(autoscaler.spec?.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata!.name,
    });
    expect(autoscaler.spec?.minReplicas).toBeGreaterThanOrEqual(2);
    expect(autoscaler.spec?.metrics?.[0]?.resource?.name).toBe('cpu');
    const budget = find<IPodDisruptionBudget>('PodDisruptionBudget', 'llm-gateway');
    expect(matches(budget.spec?.selector?.matchLabels, podLabels)).toBe(true);
    expect(budget.spec?.maxUnavailable).toBe(1);
  });

  it('point REDIS_URL at the reference Redis Service', () => {
    const url = new URL(configMap.data?.['REDIS_URL'] ?? '');
    const redisService = find<IService>('Service', url.hostname);
    const redis = find<IDeployment>('Deployment', 'redis');
    expect(matches(redisService.spec?.selector, redis.spec!.template.metadata!.labels!)).toBe(true);
    expect(redisService.spec?.ports?.[0]?.port).toBe(Number(url.port));
    expect(redis.spec!.template.spec!.containers[0]!.ports?.[0]?.containerPort).toBe(Number(url.port));
  });
});
