/** Loading API data into a page, with an optional refresh period for live figures. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { keyForPath, requestApi, type ApiError } from './api-client.js';
import { useSession } from './session.js';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | Error | null;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const { keys } = useSession();
  const key = path === null ? null : keyForPath(keys, path);
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  const current = useRef(path);
  current.current = path;

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setLoading(true);
    requestApi<T>(path, { key, signal: controller.signal })
      .then((body) => {
        if (current.current !== path) return;
        setData(body);
        setError(null);
      })
      .catch((failure: Error) => {
        if (controller.signal.aborted) return;
        setError(failure);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [path, key, generation]);

  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, reload]);

  return { data, error, loading, reload };
}
