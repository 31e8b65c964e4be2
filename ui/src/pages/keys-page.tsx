/**
 * Keys and teams: every key with its spend against its budget, and the store's keys managed here:
 * create (the secret shown once, with a copy button and a curl line to try it), edit, rotate and
 * revoke, each change confirmed first. Keys from the configuration are read-only.
 */
import { useState } from 'preact/hooks';
import type {
  AdminKey,
  AdminKeyWithSecret,
  AdminTeam,
  Page,
  RateLimits,
  SpendSummary,
} from '../admin-types.js';
import { apiBase, requestApi } from '../api-client.js';
import { buildQuery, toDay } from '../build-admin-query.js';
import { quoteForShell } from '../build-snippets.js';
import { CodeBlock } from '../components/code-block.js';
import { CopyButton } from '../components/copy-button.js';
import { EmptyState, ErrorMessage, Loading } from '../components/status-message.js';
import { budgetUsed, formatCount, formatDateTime, formatRatio, formatUsd } from '../format.js';
import { useSession } from '../session.js';
import { useApi } from '../use-api.js';
import { TableScroll } from '../components/table-scroll.js';

interface KeyForm {
  name: string;
  team_id: string;
  allowed_models: string;
  budget_usd: string;
  budget_period: 'daily' | 'monthly';
  chat_per_minute: string;
  /** The key's other limits, which the form does not show: kept as they are. */
  other_limits: RateLimits;
}

const EMPTY_FORM: KeyForm = {
  name: '',
  team_id: '',
  allowed_models: '',
  budget_usd: '',
  budget_period: 'monthly',
  chat_per_minute: '',
  other_limits: {},
};

function formOf(key: AdminKey): KeyForm {
  return {
    name: key.name ?? '',
    team_id: key.team_id ?? '',
    allowed_models: (key.allowed_models ?? []).join(', '),
    budget_usd: key.budget ? String(key.budget.limit_usd) : '',
    budget_period: key.budget?.period ?? 'monthly',
    chat_per_minute: key.rate_limits?.chat !== undefined ? String(key.rate_limits.chat) : '',
    other_limits: Object.fromEntries(
      Object.entries(key.rate_limits ?? {}).filter(([name]) => name !== 'chat'),
    ) as RateLimits,
  };
}

/** The body the admin API takes for a form: blank fields cleared (null), lists split on commas. */
export function bodyOf(form: KeyForm): Record<string, unknown> {
  const models = form.allowed_models
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const limit = Number(form.budget_usd);
  const chat = Number(form.chat_per_minute);
  const limits: RateLimits = { ...form.other_limits };
  if (form.chat_per_minute.trim() && Number.isInteger(chat) && chat > 0) limits.chat = chat;
  return {
    name: form.name.trim(),
    team_id: form.team_id.trim() || null,
    allowed_models: models.length > 0 ? models : null,
    budget:
      form.budget_usd.trim() && Number.isFinite(limit)
        ? { limit_usd: limit, period: form.budget_period }
        : null,
    rate_limits: Object.keys(limits).length > 0 ? limits : null,
  };
}

function KeyFields({
  form,
  teams,
  onChange,
}: {
  form: KeyForm;
  teams: AdminTeam[];
  onChange: (form: KeyForm) => void;
}) {
  return (
    <>
      <label>
        Name
        <input
          name="name"
          required
          value={form.name}
          onInput={(event) => onChange({ ...form, name: event.currentTarget.value })}
        />
      </label>
      <label>
        Team
        <select
          name="team_id"
          value={form.team_id}
          onChange={(event) => onChange({ ...form, team_id: event.currentTarget.value })}
        >
          <option value="">No team</option>
          {teams.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name} ({team.id})
            </option>
          ))}
        </select>
      </label>
      <label>
        Allowed models (comma-separated names or globs; blank for every model)
        <input
          name="allowed_models"
          value={form.allowed_models}
          onInput={(event) => onChange({ ...form, allowed_models: event.currentTarget.value })}
        />
      </label>
      <div class="field-row">
        <label>
          Budget in USD (blank for none)
          <input
            name="budget_usd"
            type="number"
            min="0"
            step="any"
            inputMode="decimal"
            value={form.budget_usd}
            onInput={(event) => onChange({ ...form, budget_usd: event.currentTarget.value })}
          />
        </label>
        <label>
          Budget period
          <select
            name="budget_period"
            value={form.budget_period}
            onChange={(event) =>
              onChange({ ...form, budget_period: event.currentTarget.value as KeyForm['budget_period'] })
            }
          >
            <option value="daily">Daily</option>
            <option value="monthly">Monthly</option>
          </select>
        </label>
      </div>
      <label>
        Chat requests per minute (blank for the gateway's limit)
        <input
          name="chat_per_minute"
          type="number"
          min="1"
          step="1"
          inputMode="numeric"
          value={form.chat_per_minute}
          onInput={(event) => onChange({ ...form, chat_per_minute: event.currentTarget.value })}
        />
      </label>
    </>
  );
}

function NewSecret({ created, onDone }: { created: AdminKeyWithSecret; onDone: () => void }) {
  const curl = [
    `curl ${quoteForShell(`${window.location.origin}${apiBase()}/v1/models`)} \\`,
    `  -H ${quoteForShell(`Authorization: Bearer ${created.key}`)}`,
  ].join('\n');
  return (
    <div class="secret" role="region" aria-labelledby="secret-title">
      <h2 id="secret-title">Key {created.id} is ready</h2>
      <p>
        Copy it now: the gateway keeps only its hash and <strong>cannot show it again</strong>.
      </p>
      <p class="secret-value">
        <code data-secret>{created.key}</code> <CopyButton text={created.key} label="Copy key" />
      </p>
      <CodeBlock label="Try it with curl" code={curl} />
      <button type="button" onClick={onDone}>
        I have copied it
      </button>
    </div>
  );
}

export function KeysPage() {
  const { keys: sessionKeys, locale } = useSession();
  const adminKey = sessionKeys.admin;
  const keys = useApi<Page<AdminKey>>('/admin/keys?limit=1000', 15_000);
  const teams = useApi<Page<AdminTeam>>('/admin/teams?limit=1000');
  const monthStart = new Date();
  monthStart.setUTCDate(1);
  const spend = useApi<SpendSummary>(
    `/admin/spend/summary${buildQuery({ from: toDay(monthStart), to: toDay(new Date()), group_by: 'key', percentiles: false })}`,
    15_000,
  );
  const [creating, setCreating] = useState<KeyForm | null>(null);
  const [editing, setEditing] = useState<{ id: string; form: KeyForm } | null>(null);
  const [confirming, setConfirming] = useState<{ id: string; action: 'rotate' | 'revoke' } | null>(null);
  const [created, setCreated] = useState<AdminKeyWithSecret | null>(null);
  const [failure, setFailure] = useState<Error | null>(null);
  const [teamName, setTeamName] = useState('');

  const spentBy = new Map((spend.data?.data ?? []).map((row) => [row.key_id ?? '', row.cost_usd]));
  const teamList = teams.data?.data ?? [];

  async function act(work: () => Promise<void>) {
    setFailure(null);
    try {
      await work();
      keys.reload();
    } catch (error) {
      setFailure(error as Error);
    }
  }

  return (
    <section aria-labelledby="keys-title">
      <div class="page-head">
        <h1 id="keys-title">Keys and teams</h1>
        <button type="button" class="primary" onClick={() => setCreating({ ...EMPTY_FORM })}>
          Create key
        </button>
      </div>
      {failure ? <ErrorMessage error={failure} /> : null}
      {created ? <NewSecret created={created} onDone={() => setCreated(null)} /> : null}
      {creating ? (
        <form
          class="panel"
          aria-label="New key"
          onSubmit={(event) => {
            event.preventDefault();
            void act(async () => {
              const body = bodyOf(creating);
              const made = await requestApi<AdminKeyWithSecret>('/admin/keys', {
                key: adminKey,
                method: 'POST',
                body: Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null)),
              });
              setCreating(null);
              setCreated(made);
            });
          }}
        >
          <h2>New key</h2>
          <KeyFields form={creating} teams={teamList} onChange={setCreating} />
          <div class="actions">
            <button type="submit" class="primary">
              Create
            </button>
            <button type="button" onClick={() => setCreating(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}

      <h2>Keys</h2>
      <p class="hint">Spend is this month’s (UTC). Revoked keys are hidden.</p>
      {keys.error ? <ErrorMessage error={keys.error} /> : null}
      {!keys.data && keys.loading ? <Loading /> : null}
      {keys.data && keys.data.data.length === 0 ? (
        <EmptyState title="No key yet">
          Create one with <em>Create key</em>, or list keys in GATEWAY_API_KEYS or auth.clients.
        </EmptyState>
      ) : null}
      {keys.data && keys.data.data.length > 0 ? (
        <TableScroll label="Keys">
          <table class="keys">
            <caption class="visually-hidden">Keys</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Team</th>
                <th scope="col">Models</th>
                <th scope="col" class="number">
                  Spend / budget
                </th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.data.map((entry) => {
                const spent = spentBy.get(entry.id) ?? 0;
                const used = budgetUsed(spent, entry.budget?.limit_usd);
                return (
                  <tr key={entry.id} data-key-id={entry.id}>
                    <th scope="row">
                      {entry.name ?? entry.id}
                      <div class="hint">
                        {entry.id}
                        {entry.prefix ? ` · ${entry.prefix}…` : ''} · {entry.source}
                      </div>
                    </th>
                    <td>{entry.team_id ?? '—'}</td>
                    <td>
                      {entry.allowed_models?.join(', ') ?? 'All'}
                      {entry.rate_limits?.chat !== undefined ? (
                        <div class="hint">
                          {formatCount(entry.rate_limits.chat, locale)} chat requests/min
                        </div>
                      ) : null}
                    </td>
                    <td class="number" data-spend>
                      {formatUsd(spent, locale)}
                      {entry.budget ? (
                        <>
                          {' '}
                          / {formatUsd(entry.budget.limit_usd, locale)} {entry.budget.period}
                          <progress
                            max={1}
                            value={used ?? 0}
                            aria-label={`Budget used: ${formatRatio(used, locale)}`}
                          />
                        </>
                      ) : (
                        <div class="hint">No budget</div>
                      )}
                    </td>
                    <td>
                      {entry.status}
                      {entry.previous_key_valid_until ? (
                        <div class="hint">
                          Old secret valid until {formatDateTime(entry.previous_key_valid_until, locale)}
                        </div>
                      ) : null}
                    </td>
                    <td class="row-actions">
                      {entry.source === 'store' && entry.status === 'active' ? (
                        <>
                          <button
                            type="button"
                            aria-label={`Edit ${entry.name ?? entry.id}`}
                            onClick={() => setEditing({ id: entry.id, form: formOf(entry) })}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            aria-label={`Rotate ${entry.name ?? entry.id}`}
                            onClick={() => setConfirming({ id: entry.id, action: 'rotate' })}
                          >
                            Rotate
                          </button>
                          <button
                            type="button"
                            class="danger"
                            aria-label={`Revoke ${entry.name ?? entry.id}`}
                            onClick={() => setConfirming({ id: entry.id, action: 'revoke' })}
                          >
                            Revoke
                          </button>
                        </>
                      ) : (
                        <span class="hint">{entry.source === 'config' ? 'From configuration' : ''}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
      ) : null}

      {confirming ? (
        <div
          class="panel confirm"
          role="alertdialog"
          aria-labelledby="confirm-title"
          aria-describedby="confirm-text"
        >
          <h2 id="confirm-title">
            {confirming.action === 'revoke' ? 'Revoke' : 'Rotate'} key {confirming.id}?
          </h2>
          <p id="confirm-text">
            {confirming.action === 'revoke'
              ? 'Every client using it is refused from now on (within seconds on every replica). This cannot be undone.'
              : 'A new secret is made and shown once; the old one keeps working for an hour so clients can move.'}
          </p>
          <div class="actions">
            <button
              type="button"
              class={confirming.action === 'revoke' ? 'danger' : 'primary'}
              onClick={() =>
                void act(async () => {
                  const { id, action } = confirming;
                  const result = await requestApi<AdminKeyWithSecret | AdminKey>(
                    `/admin/keys/${encodeURIComponent(id)}/${action}`,
                    { key: adminKey, method: 'POST', body: {} },
                  );
                  setConfirming(null);
                  if (action === 'rotate' && 'key' in result) setCreated(result);
                })
              }
            >
              Yes, {confirming.action}
            </button>
            <button type="button" onClick={() => setConfirming(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}

      {editing ? (
        <form
          class="panel"
          aria-label={`Edit key ${editing.id}`}
          onSubmit={(event) => {
            event.preventDefault();
            void act(async () => {
              await requestApi(`/admin/keys/${encodeURIComponent(editing.id)}`, {
                key: adminKey,
                method: 'PATCH',
                body: bodyOf(editing.form),
              });
              setEditing(null);
            });
          }}
        >
          <h2>Edit key {editing.id}</h2>
          <KeyFields
            form={editing.form}
            teams={teamList}
            onChange={(form) => setEditing({ ...editing, form })}
          />
          <div class="actions">
            <button type="submit" class="primary">
              Save
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}

      <h2>Teams</h2>
      {teams.error ? <ErrorMessage error={teams.error} /> : null}
      {teams.data && teamList.length === 0 ? (
        <EmptyState title="No team yet">
          Teams share a budget and a model list between keys; add one below.
        </EmptyState>
      ) : null}
      {teamList.length > 0 ? (
        <TableScroll label="Teams">
          <table>
            <caption class="visually-hidden">Teams</caption>
            <thead>
              <tr>
                <th scope="col">Team</th>
                <th scope="col">Models</th>
                <th scope="col" class="number">
                  Budget
                </th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {teamList.map((team) => (
                <tr key={team.id}>
                  <th scope="row">
                    {team.name}
                    <div class="hint">{team.id}</div>
                  </th>
                  <td>{team.allowed_models?.join(', ') ?? 'All'}</td>
                  <td class="number">
                    {team.budget
                      ? `${formatUsd(team.budget.limit_usd, locale)} ${team.budget.period}`
                      : 'None'}
                  </td>
                  <td>{team.source}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (!teamName.trim()) return;
          void act(async () => {
            await requestApi('/admin/teams', {
              key: adminKey,
              method: 'POST',
              body: { name: teamName.trim() },
            });
            setTeamName('');
            teams.reload();
          });
        }}
      >
        <label>
          New team name
          <input
            name="team_name"
            value={teamName}
            onInput={(event) => setTeamName(event.currentTarget.value)}
          />
        </label>
        <button type="submit">Add team</button>
      </form>
    </section>
  );
}
