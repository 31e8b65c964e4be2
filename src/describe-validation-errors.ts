/**
 * Ajv's validation errors said the way OpenAI says them: the most specific error picked, the field
 * named in OpenAI's `param` notation (`messages[0].content`), with OpenAI's codes
 * (`missing_required_parameter`, `unknown_parameter`, `invalid_type`, `invalid_value`).
 */
import { GatewayError } from './errors.js';

export interface AjvErrorLike {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/messages/0/content` → `messages[0].content`, the notation OpenAI uses in `param`. */
export function toParamPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra) parts.push(extra);
  let path = '';
  for (const raw of parts) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else path += path ? `.${part}` : part;
  }
  return path;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let node = root;
  for (const raw of instancePath.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/**
 * Picks the most specific of Ajv's errors (the deepest path: with unions, the branch that got
 * furthest) and says what was wrong in OpenAI's style, naming the field.
 */
export function describeValidationErrors(
  errors: AjvErrorLike[],
  body: unknown,
  context = 'body',
): GatewayError {
  // In a union, each branch not taken reports a `type` error at the same path; the branch that was
  // taken reports what really failed (a range, a length). Prefer that, then the deepest path.
  const rank = (error: AjvErrorLike) =>
    error.instancePath.split('/').length * 4 +
    (error.keyword === 'anyOf' || error.keyword === 'oneOf' ? 0 : error.keyword === 'type' ? 1 : 2);
  let best = errors[0];
  for (const error of errors) {
    if (!best || rank(error) > rank(best)) best = error;
  }
  if (!best) return new GatewayError('GW_ERR_REQUEST_VALIDATION');
  const where = context === 'body' ? '' : `${context} `;
  const params = best.params;
  switch (best.keyword) {
    case 'required': {
      const param = toParamPath(best.instancePath, String(params['missingProperty']));
      return new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Missing required ${where}parameter: '${param}'.`,
        param,
        code: 'missing_required_parameter',
      });
    }
    case 'additionalProperties': {
      const param = toParamPath(best.instancePath, String(params['additionalProperty']));
      return new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Unrecognized ${where}parameter: '${param}'.`,
        param,
        code: 'unknown_parameter',
      });
    }
    case 'discriminator': {
      const tag = String(params['tag']);
      const param = toParamPath(best.instancePath, tag);
      const value = valueAt(body, `${best.instancePath}/${tag}`);
      const text =
        params['error'] === 'tag'
          ? `Missing or invalid '${param}': it must be a string.`
          : `Invalid value for '${param}': ${JSON.stringify(value)} is not one of the supported values.`;
      return new GatewayError('GW_ERR_REQUEST_VALIDATION', { message: text, param, code: 'invalid_value' });
    }
    case 'type': {
      const param = toParamPath(best.instancePath) || context;
      const value = valueAt(body, best.instancePath);
      return new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Invalid type for '${param}': expected ${String(params['type']).replace(/,/g, ' or ')}, but got ${describeValue(value)}.`,
        param,
        code: 'invalid_type',
      });
    }
    default: {
      const param = toParamPath(best.instancePath) || context;
      const value = valueAt(body, best.instancePath);
      let detail = best.message ?? 'is invalid';
      if (best.keyword === 'const' || best.keyword === 'enum') {
        const allowed = (params['allowedValues'] as unknown[] | undefined) ?? [params['allowedValue']];
        detail = `must be one of ${allowed.map((item) => JSON.stringify(item)).join(', ')}`;
      }
      const shown =
        typeof value === 'string' || typeof value === 'number' ? ` (got ${JSON.stringify(value)})` : '';
      return new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Invalid value for '${param}': ${detail}${shown}.`,
        param,
        code: 'invalid_value',
      });
    }
  }
}
