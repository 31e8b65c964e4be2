/**
 * Models and routing: the catalog (GET /v1/models?all=true), the aliases and groups with their
 * fallbacks, and each deployment's circuit, latency, error rate and in-flight calls
 * (GET /v1/health/detailed), refreshed every few seconds.
 */
import { useState } from 'preact/hooks';
import { useSession } from '../session.js';
import { useApi } from '../use-api.js';
import {
  formatCount,
  formatDateTime,
  formatDuration,
  formatPricePerMillion,
  formatRatio,
} from '../format.js';
import { EmptyState, ErrorMessage, Loading } from '../components/status-message.js';
import { TableScroll } from '../components/table-scroll.js';

interface ModelEntry {
  id: string;
  provider?: string;
  type?: string;
  context_window?: number;
  max_output_tokens?: number;
  capabilities?: string[];
  pricing?: Record<string, number>;
  available?: boolean;
  strategy?: string;
  targets?: string[];
  fallbacks?: string[];
}

interface Deployment {
  id: string;
  circuit: 'closed' | 'open' | 'half_open';
  available: boolean;
  unavailableReason: string | null;
  latencyMs: number | null;
  errorRate: number;
  inFlight: number;
  lastError: { message?: string; at?: string } | null;
}

interface DetailedHealth {
  status: string;
  inFlight: number;
  deployments: Deployment[];
  providers: { id: string; type: string; configured: boolean }[];
}

const CIRCUIT_LABEL: Record<Deployment['circuit'], string> = {
  closed: 'Closed (serving)',
  open: 'Open (skipped)',
  half_open: 'Half open (probing)',
};

/** A shape as well as a colour, so the state reads without colour. */
const CIRCUIT_MARK: Record<Deployment['circuit'], string> = { closed: '●', open: '✕', half_open: '◐' };

export function ModelsPage() {
  const { locale } = useSession();
  const [everyModel, setEveryModel] = useState(false);
  const models = useApi<{ data: ModelEntry[] }>(everyModel ? '/v1/models?all=true' : '/v1/models');
  const health = useApi<DetailedHealth>('/v1/health/detailed', 3000);
  const catalog = (models.data?.data ?? []).filter((model) => !model.strategy);
  const routes = (models.data?.data ?? []).filter((model) => model.strategy);

  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title">Models and routing</h1>
      <h2>Deployments</h2>
      <p class="hint">Live: refreshed every 3 seconds. A deployment appears once the router has used it.</p>
      {health.error ? <ErrorMessage error={health.error} /> : null}
      {!health.data && health.loading ? <Loading /> : null}
      {health.data && health.data.deployments.length === 0 ? (
        <EmptyState title="No deployment has been called yet">
          Send a request from the <a href="#/playground">playground</a> and its deployment shows here.
        </EmptyState>
      ) : null}
      {health.data && health.data.deployments.length > 0 ? (
        <TableScroll label="Deployments and their circuits">
          <table>
            <caption class="visually-hidden">Deployments and their circuits</caption>
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">Circuit</th>
                <th scope="col" class="number">
                  Latency
                </th>
                <th scope="col" class="number">
                  Error rate
                </th>
                <th scope="col" class="number">
                  In flight
                </th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {health.data.deployments.map((deployment) => (
                <tr key={deployment.id} data-deployment={deployment.id}>
                  <th scope="row">{deployment.id}</th>
                  <td>
                    <span class={`circuit circuit-${deployment.circuit}`} data-circuit={deployment.circuit}>
                      <span aria-hidden="true">{CIRCUIT_MARK[deployment.circuit]} </span>
                      {CIRCUIT_LABEL[deployment.circuit]}
                    </span>
                    {deployment.unavailableReason ? (
                      <div class="hint">{deployment.unavailableReason}</div>
                    ) : null}
                  </td>
                  <td class="number">{formatDuration(deployment.latencyMs, locale)}</td>
                  <td class="number">{formatRatio(deployment.errorRate, locale)}</td>
                  <td class="number">{formatCount(deployment.inFlight, locale)}</td>
                  <td>
                    {deployment.lastError ? (
                      <>
                        {deployment.lastError.message ?? 'error'}
                        {deployment.lastError.at ? (
                          <div class="hint">{formatDateTime(deployment.lastError.at, locale)}</div>
                        ) : null}
                      </>
                    ) : (
                      'None'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}

      <h2>Aliases and groups</h2>
      {models.error ? <ErrorMessage error={models.error} /> : null}
      {models.data && routes.length === 0 ? (
        <EmptyState title="No alias or group is configured">
          Groups spread a model over several deployments with fallbacks; see docs/routing.md to add one.
        </EmptyState>
      ) : null}
      {routes.length > 0 ? (
        <TableScroll label="Aliases and groups">
          <table>
            <caption class="visually-hidden">Aliases and groups</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Strategy</th>
                <th scope="col">Targets</th>
                <th scope="col">Fallbacks</th>
              </tr>
            </thead>
            <tbody>
              {routes.map((route) => (
                <tr key={route.id}>
                  <th scope="row">{route.id}</th>
                  <td>{route.strategy}</td>
                  <td>{(route.targets ?? []).join(', ') || '—'}</td>
                  <td>{(route.fallbacks ?? []).join(' → ') || 'None'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}

      <h2>Catalog</h2>
      <label class="inline">
        <input
          type="checkbox"
          checked={everyModel}
          onChange={(event) => setEveryModel(event.currentTarget.checked)}
        />
        Also list models of providers that are not configured
      </label>
      {!models.data && models.loading ? <Loading /> : null}
      {models.data && catalog.length === 0 ? (
        <EmptyState title="No model is available">
          Configure a provider (for example OPENAI_API_KEY, see .env.example) and restart the gateway.
        </EmptyState>
      ) : null}
      {catalog.length > 0 ? (
        <TableScroll label="Model catalog">
          <table>
            <caption class="visually-hidden">Model catalog</caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Provider</th>
                <th scope="col">Type</th>
                <th scope="col" class="number">
                  Context
                </th>
                <th scope="col" class="number">
                  Input price
                </th>
                <th scope="col" class="number">
                  Output price
                </th>
                <th scope="col">Capabilities</th>
                <th scope="col">Available</th>
              </tr>
            </thead>
            <tbody>
              {catalog.map((model) => (
                <tr key={model.id}>
                  <th scope="row">{model.id}</th>
                  <td>{model.provider ?? '—'}</td>
                  <td>{model.type ?? '—'}</td>
                  <td class="number">{formatCount(model.context_window, locale)}</td>
                  <td class="number">{formatPricePerMillion(model.pricing?.['input'], locale)}</td>
                  <td class="number">{formatPricePerMillion(model.pricing?.['output'], locale)}</td>
                  <td>{(model.capabilities ?? []).join(', ') || '—'}</td>
                  <td>{model.available === false ? 'No (provider not configured)' : 'Yes'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
    </section>
  );
}
