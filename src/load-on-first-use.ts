/**
 * A module the gateway needs only for some requests or some configurations, imported the first time
 * it is needed rather than at start, so a gateway that never uses it never pays for it in memory or
 * start-up time. The import is started once and its promise kept: later uses wait on a settled
 * promise, with no second lookup. A module that cannot be loaded (a broken install) fails every use
 * with an error that names it, and the next use tries again.
 */
export function loadOnFirstUse<Module>(name: string, load: () => Promise<Module>): () => Promise<Module> {
  let loading: Promise<Module> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw new Error(
        `llm-gateway: cannot load ${name} (${error instanceof Error ? error.message : String(error)}); ` +
          "reinstall the gateway's dependencies (npm ci)",
        { cause: error },
      );
    }));
}
