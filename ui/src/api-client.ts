/**
 * The dashboard's only way to the gateway: fetch on the same origin, with the signed-in key in the
 * Authorization header (never in a URL), errors read from the gateway's envelope.
 */

const KEY_STORAGE = { admin: 'llm-gateway.admin-key', client: 'llm-gateway.client-key' } as const;

/**
 * The keys the dashboard speaks with: an admin key (GATEWAY_ADMIN_KEYS) for the admin API, and a
 * gateway key for the model routes (/v1/models, /v1/health/detailed, the playground's chats), which
 * admin keys do not open.
 */
export interface SessionKeys {
  admin: string | null;
  client: string | null;
}

/** The key a path is called with: the admin key for /admin/, else the gateway key, else the admin key. */
export function keyForPath(keys: SessionKeys, path: string): string | null {
  if (path.startsWith('/admin/')) return keys.admin;
  return keys.client ?? keys.admin;
}

/** The signed-in keys, held for this tab only (session storage), so closing the tab signs out. */
export function readSessionKeys(): SessionKeys {
  try {
    return {
      admin: sessionStorage.getItem(KEY_STORAGE.admin),
      client: sessionStorage.getItem(KEY_STORAGE.client),
    };
  } catch {
    return { admin: null, client: null };
  }
}

export function writeSessionKeys(keys: SessionKeys): void {
  for (const name of ['admin', 'client'] as const) {
    const value = keys[name];
    if (value === null) sessionStorage.removeItem(KEY_STORAGE[name]);
    else sessionStorage.setItem(KEY_STORAGE[name], value);
  }
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
  }
}

/** Where the gateway's API lives: the page is at <prefix>/ui/, the API at <prefix>/. */
export function apiBase(): string {
  const path = window.location.pathname;
  const at = path.lastIndexOf('/ui/');
  return at >= 0 ? path.slice(0, at) : '';
}

export function apiHeaders(key: string | null, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra };
}

export async function readApiError(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  let code: string | null = null;
  try {
    const body = (await response.json()) as { error?: { message?: string; code?: string } };
    if (body.error?.message) message = body.error.message;
    code = body.error?.code ?? null;
  } catch {
    // Not the gateway's envelope (a proxy's page): the status line says enough.
  }
  return new ApiError(message, response.status, code);
}

export async function requestApi<T>(
  path: string,
  options: { key: string | null; method?: string; body?: unknown; signal?: AbortSignal } = { key: null },
): Promise<T> {
  const response = await fetch(`${apiBase()}${path}`, {
    method: options.method ?? 'GET',
    headers: apiHeaders(
      options.key,
      options.body === undefined ? {} : { 'content-type': 'application/json' },
    ),
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
    cache: 'no-store',
  });
  if (!response.ok) throw await readApiError(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
