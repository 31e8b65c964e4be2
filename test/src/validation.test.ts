import fastify, { type FastifySchema } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createValidatorCompiler } from '../../src/validation.js';

const compile = createValidatorCompiler();

function bodyValidator(schema: object) {
  return compile({ schema: schema as FastifySchema, method: 'POST', url: '/', httpPart: 'body' }) as ((
    data: unknown,
  ) => boolean) & { errors?: { instancePath: string }[] | null };
}

describe('route validators', () => {
  it('compile their schema on their first call, not when the route is registered', () => {
    // A schema Ajv refuses: registering it succeeds; the first call reports it.
    const broken = bodyValidator({ type: 'no-such-type' });
    expect(() => broken({})).toThrow(/schema is invalid/);
  });

  it("give Ajv's errors on every call, not only the first", () => {
    const validate = bodyValidator({
      type: 'object',
      properties: { n: { type: 'number' } },
      required: ['n'],
    });
    expect(validate({ n: 1 })).toBe(true);
    expect(validate({ n: '1' })).toBe(false);
    expect(validate.errors?.[0]?.instancePath).toBe('/n');
    expect(validate({})).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ instancePath: '', params: { missingProperty: 'n' } });
    expect(validate({ n: 2 })).toBe(true);
    expect(validate.errors).toBeNull();
  });

  it('in a route: bodies are exact, query strings coerced, from the first request on', async () => {
    const app = fastify();
    app.setValidatorCompiler(compile);
    app.post(
      '/',
      {
        schema: {
          body: { type: 'object', properties: { temperature: { type: 'number' } } },
          querystring: { type: 'object', properties: { limit: { type: 'integer' } } },
        },
      },
      async (request) => ({ body: request.body, query: request.query }),
    );
    const exact = await app.inject({ method: 'POST', url: '/?limit=5', payload: { temperature: '0.7' } });
    expect(exact.statusCode).toBe(400);
    expect(exact.json()).toMatchObject({ message: 'body/temperature must be number' });
    const coerced = await app.inject({ method: 'POST', url: '/?limit=5', payload: { temperature: 0.7 } });
    expect(coerced.json()).toEqual({ body: { temperature: 0.7 }, query: { limit: 5 } });
    const refused = await app.inject({ method: 'POST', url: '/?limit=many', payload: {} });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ message: 'querystring/limit must be integer' });
    await app.close();
  });
});
