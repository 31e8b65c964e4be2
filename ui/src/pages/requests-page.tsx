/**
 * Requests: the request log (one row per model call) with filters and a search by request id, and
 * one request's detail: every attempt it made (a failover shows as several rows of one request),
 * tokens, cost and timings.
 */
import { useState } from 'preact/hooks';
import type { Page, SpendRow } from '../admin-types.js';
import { buildQuery, buildRequestLogQuery, type RequestFilters } from '../build-admin-query.js';
import { EmptyState, ErrorMessage, Loading } from '../components/status-message.js';
import { formatCount, formatDateTime, formatDuration, formatUsd } from '../format.js';
import { useSession } from '../session.js';
import { useApi } from '../use-api.js';
import { TableScroll } from '../components/table-scroll.js';

const PAGE_SIZE = 50;

const FILTER_FIELDS: { name: keyof RequestFilters; label: string; type?: string; placeholder?: string }[] = [
  { name: 'from', label: 'From', type: 'datetime-local' },
  { name: 'to', label: 'To', type: 'datetime-local' },
  { name: 'key_id', label: 'Key id' },
  { name: 'team_id', label: 'Team id' },
  { name: 'model', label: 'Model' },
  { name: 'status', label: 'HTTP status', placeholder: '429' },
  { name: 'outcome', label: 'Outcome', placeholder: 'completed' },
];

function RequestDetail({ requestId, onClose }: { requestId: string; onClose: () => void }) {
  const { locale } = useSession();
  const detail = useApi<Page<SpendRow>>(`/admin/spend/requests${buildQuery({ request_id: requestId })}`);
  const rows = [...(detail.data?.data ?? [])].sort((left, right) => left.at.localeCompare(right.at));
  return (
    <div class="panel" role="region" aria-labelledby="detail-title">
      <div class="page-head">
        <h2 id="detail-title">Request {requestId}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {detail.error ? <ErrorMessage error={detail.error} /> : null}
      {!detail.data && detail.loading ? <Loading /> : null}
      {detail.data && rows.length === 0 ? <EmptyState title="No call of this request is logged" /> : null}
      {rows.length > 1 ? <p>Failover: {rows.length} calls, in order.</p> : null}
      {rows.map((row, index) => (
        <dl class="detail" key={row.id} aria-label={`Call ${index + 1}`}>
          <div>
            <dt>At</dt>
            <dd>{formatDateTime(row.at, locale)}</dd>
          </div>
          <div>
            <dt>Route</dt>
            <dd>{row.route}</dd>
          </div>
          <div>
            <dt>Model asked / answered</dt>
            <dd>
              {row.requested_model ?? '—'} / {row.model ?? '—'}
            </dd>
          </div>
          <div>
            <dt>Deployment</dt>
            <dd>{row.deployment ?? row.provider ?? '—'}</dd>
          </div>
          <div>
            <dt>Key / team</dt>
            <dd>
              {row.key_id ?? '—'} / {row.team_id ?? '—'}
            </dd>
          </div>
          <div>
            <dt>Status / outcome</dt>
            <dd>
              {row.status ?? '—'} / {row.outcome}
            </dd>
          </div>
          <div>
            <dt>Tokens (prompt, completion, reasoning, cached)</dt>
            <dd>
              {formatCount(row.prompt_tokens, locale)}, {formatCount(row.completion_tokens, locale)},{' '}
              {formatCount(row.reasoning_tokens, locale)}, {formatCount(row.cached_tokens, locale)}
              {row.estimated ? ' (estimated)' : ''}
            </dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>{formatUsd(row.cost_usd, locale)}</dd>
          </div>
          <div>
            <dt>Latency / gateway overhead</dt>
            <dd>
              {formatDuration(row.latency_ms, locale)} / {formatDuration(row.overhead_ms, locale)}
            </dd>
          </div>
          <div>
            <dt>Cache</dt>
            <dd>{row.cache_result ?? '—'}</dd>
          </div>
        </dl>
      ))}
    </div>
  );
}

export function RequestsPage() {
  const { locale } = useSession();
  const [draft, setDraft] = useState<RequestFilters>({});
  const [filters, setFilters] = useState<RequestFilters>({});
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [selected, setSelected] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1] ?? null;
  const log = useApi<Page<SpendRow>>(
    `/admin/spend/requests${buildRequestLogQuery(filters, PAGE_SIZE, cursor)}`,
  );

  function apply(next: RequestFilters) {
    setFilters(next);
    setCursors([null]);
  }

  return (
    <section aria-labelledby="requests-title">
      <h1 id="requests-title">Requests</h1>
      <form
        class="search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          apply({ request_id: draft.request_id });
        }}
      >
        <label>
          Request id
          <input
            name="request_id"
            value={draft.request_id ?? ''}
            onInput={(event) => setDraft({ ...draft, request_id: event.currentTarget.value })}
          />
        </label>
        <button type="submit">Find</button>
      </form>
      <form
        class="filters"
        aria-label="Filters"
        onSubmit={(event) => {
          event.preventDefault();
          apply({ ...draft, request_id: '' });
        }}
      >
        {FILTER_FIELDS.map((field) => (
          <label key={field.name}>
            {field.label}
            <input
              name={field.name}
              type={field.type ?? 'text'}
              placeholder={field.placeholder}
              value={draft[field.name] ?? ''}
              onInput={(event) => setDraft({ ...draft, [field.name]: event.currentTarget.value })}
            />
          </label>
        ))}
        <div class="actions">
          <button type="submit" class="primary">
            Filter
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft({});
              apply({});
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {selected ? <RequestDetail requestId={selected} onClose={() => setSelected(null)} /> : null}
      {log.error ? <ErrorMessage error={log.error} /> : null}
      {!log.data && log.loading ? <Loading /> : null}
      {log.data && log.data.data.length === 0 ? (
        <EmptyState title="No request matches">
          Widen the filters, or send a request from the <a href="#/playground">playground</a>.
        </EmptyState>
      ) : null}
      {log.data && log.data.data.length > 0 ? (
        <TableScroll label="Request log">
          <table>
            <caption class="visually-hidden">Request log</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Request</th>
                <th scope="col">Model</th>
                <th scope="col">Key</th>
                <th scope="col" class="number">
                  Status
                </th>
                <th scope="col" class="number">
                  Tokens
                </th>
                <th scope="col" class="number">
                  Cost
                </th>
                <th scope="col" class="number">
                  Latency
                </th>
              </tr>
            </thead>
            <tbody>
              {log.data.data.map((row) => (
                <tr key={row.id}>
                  <td>{formatDateTime(row.at, locale)}</td>
                  <th scope="row">
                    <button type="button" class="link" onClick={() => setSelected(row.request_id)}>
                      {row.request_id}
                    </button>
                  </th>
                  <td>{row.model ?? row.requested_model ?? '—'}</td>
                  <td>{row.key_id ?? '—'}</td>
                  <td class="number">
                    {row.status ?? '—'} <span class="hint">{row.outcome}</span>
                  </td>
                  <td class="number">{formatCount(row.prompt_tokens + row.completion_tokens, locale)}</td>
                  <td class="number">{formatUsd(row.cost_usd, locale)}</td>
                  <td class="number">{formatDuration(row.latency_ms, locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
      <nav class="pager" aria-label="Pages of the log">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>
        <button
          type="button"
          disabled={!log.data?.next_cursor}
          onClick={() => log.data?.next_cursor && setCursors([...cursors, log.data.next_cursor])}
        >
          Older
        </button>
      </nav>
    </section>
  );
}
