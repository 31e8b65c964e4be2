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

/**
 * Checks one text field of a form against its rules: a field that must be a file part, a repeat of
 * a single field, and the field's own check. A field without a rule passes (through to OpenAI-type
 * providers as it came). `seen` holds the names already read.
 */
export function checkFormField(
  rules: Readonly<Record<string, FieldRule>>,
  fileFields: readonly string[],
  field: FormField,
  seen: Set<string>,
): void {
  if (fileFields.includes(field.name)) {
    throw invalid(field.name, `'${field.name}' must be a file part (with a filename), not a text field.`);
  }
  const rule = rules[field.name];
  if (rule) {
    if (rule.single && seen.has(field.name)) {
      throw invalid(field.name, `'${field.name}' is given more than once; send it once.`);
    }
    rule.check(field);
  }
  seen.add(field.name);
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
