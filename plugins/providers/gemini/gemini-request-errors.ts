/** The two ways a request can be refused while it is converted for Gemini. */
import { GatewayError } from '../../../src/errors.js';

/** A part or value Gemini cannot take: a 400 naming it, never a silent drop. */
export function unsupported(param: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_CONTENT', { message, param });
}

/** A value that is malformed whatever the provider. */
export function invalid(param: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_VALIDATION', { message, param, code: 'invalid_value' });
}
