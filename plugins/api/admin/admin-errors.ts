/**
 * The store's refusals and failures as admin API errors: a missing record is a 404, a conflict a
 * 409, a bad value a 400, and a database that fails a 503 (logged; its internals are not sent).
 */
import type { FastifyBaseLogger } from 'fastify';
import { GatewayError } from '../../../src/errors.js';
import { StoreError } from '../../../src/store/store.js';

export function convertStoreErrorToAdminError(
  error: unknown,
  log: FastifyBaseLogger,
  param?: string,
): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof StoreError) {
    const code =
      error.reason === 'not_found'
        ? 'GW_ERR_ADMIN_NOT_FOUND'
        : error.reason === 'conflict'
          ? 'GW_ERR_ADMIN_CONFLICT'
          : 'GW_ERR_ADMIN_INVALID';
    return new GatewayError(code, { message: error.message, ...(param ? { param } : {}) });
  }
  log.warn({ err: error }, 'the store failed an admin request');
  return new GatewayError('GW_ERR_STORE_UNAVAILABLE', { headers: { 'retry-after': '1' } });
}

/** Runs a store call, answering its refusals and failures as admin API errors. */
export async function withStore<T>(log: FastifyBaseLogger, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw convertStoreErrorToAdminError(error, log);
  }
}
