/** What a page shows instead of data: loading, an error from the gateway, or an empty state that says what to do. */
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api-client.js';

export function ErrorMessage({ error }: { error: Error }) {
  const status = error instanceof ApiError ? error.status : null;
  const hint =
    status === 401 || status === 403
      ? 'Sign in with an admin key (GATEWAY_ADMIN_KEYS) that may read this.'
      : status === 404
        ? 'This gateway does not serve this page’s data; it may be an older version.'
        : null;
  return (
    <div class="message message-error" role="alert">
      <strong>Could not load this.</strong> {error.message}
      {hint ? <p>{hint}</p> : null}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="message message-empty">
      <strong>{title}</strong>
      {children ? <div>{children}</div> : null}
    </div>
  );
}

export function Loading() {
  return (
    <p class="loading" role="status">
      Loading…
    </p>
  );
}
