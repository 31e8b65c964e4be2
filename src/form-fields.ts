/**
 * Checks of multipart form fields, one field at a time as it arrives (audio and image uploads):
 * each refusal is a 400 naming the field, in OpenAI's wording.
 */
import { GatewayError } from './errors.js';
import type { FormField } from './provider.js';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function invalid(param: string, message: string, code = 'invalid_value'): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_VALIDATION', { message, param, code });
}

export function oneOf(allowed: readonly string[]): (field: FormField) => void {
  return (field) => {
    if (!allowed.includes(field.value)) {
      throw invalid(
        field.name,
        `Invalid value for '${field.name}': must be one of ${allowed.map((value) => `'${value}'`).join(', ')} (got ${JSON.stringify(field.value.slice(0, 64))}).`,
      );
    }
  };
}

export function nonEmpty(maxLength?: number): (field: FormField) => void {
  return (field) => {
    if (field.value.length === 0) throw invalid(field.name, `'${field.name}' must not be empty.`);
    if (maxLength !== undefined && field.value.length > maxLength) {
      throw invalid(field.name, `'${field.name}' must be at most ${maxLength} characters.`);
    }
  };
}

export function numberBetween(minimum: number, maximum: number): (field: FormField) => void {
  return (field) => {
    const value = DECIMAL.test(field.value) ? Number(field.value) : Number.NaN;
    if (!Number.isFinite(value)) {
      throw invalid(
        field.name,
        `Invalid type for '${field.name}': expected a number, but got ${JSON.stringify(field.value.slice(0, 64))}.`,
        'invalid_type',
      );
    }
    if (value < minimum || value > maximum) {
      throw invalid(
        field.name,
        `Invalid value for '${field.name}': must be between ${minimum} and ${maximum} (got ${value}).`,
      );
    }
  };
}

export const boolean = (field: FormField) => {
  if (field.value !== 'true' && field.value !== 'false') {
    throw invalid(
      field.name,
      `Invalid type for '${field.name}': expected true or false, but got ${JSON.stringify(field.value.slice(0, 64))}.`,
      'invalid_type',
    );
  }
};

export interface FieldRule {
  check: (field: FormField) => void;
  /** True for a field that may appear once only. */
  single: boolean;
}

export function integerBetween(minimum: number, maximum: number): (field: FormField) => void {
  const between = numberBetween(minimum, maximum);
  return (field) => {
    between(field);
    if (!Number.isInteger(Number(field.value))) {
      throw invalid(
        field.name,
        `Invalid type for '${field.name}': expected an integer, but got ${JSON.stringify(field.value.slice(0, 64))}.`,
        'invalid_type',
      );
    }
  };
}
