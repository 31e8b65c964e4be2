import { Type } from '@sinclair/typebox';

export const HealthSchema = Type.Object(
  { status: Type.String({ description: 'ok' }) },
  { additionalProperties: true, $id: 'Health' },
);

export const ReadinessSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
    checks: Type.Record(
      Type.String(),
      Type.Object({ ok: Type.Boolean(), message: Type.Optional(Type.String()) }),
    ),
  },
  { additionalProperties: true, $id: 'Readiness' },
);

export const DetailedHealthSchema = Type.Object(
  {
    status: Type.String(),
    version: Type.String(),
    uptimeSeconds: Type.Number(),
    inFlight: Type.Integer(),
    providers: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          type: Type.String(),
          configured: Type.Boolean(),
          baseUrl: Type.String({ description: "Origin only; '' for an instance without one" }),
          lastError: Type.Union([
            Type.Null(),
            Type.Object({
              message: Type.String(),
              status: Type.Union([Type.Integer(), Type.Null()]),
              at: Type.String(),
            }),
          ]),
          lastSuccessAt: Type.Union([Type.String(), Type.Null()]),
        },
        { additionalProperties: true },
      ),
    ),
    deployments: Type.Array(
      Type.Object(
        {
          id: Type.String({ description: '<provider>/<upstream model>' }),
          circuit: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
          available: Type.Boolean(),
          unavailableReason: Type.Union([Type.String(), Type.Null()]),
          latencyMs: Type.Union([Type.Number(), Type.Null()], {
            description: 'Moving average of time to first byte',
          }),
          errorRate: Type.Number({ description: 'Failures / requests over the circuit window' }),
          inFlight: Type.Integer(),
          lastError: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())]),
        },
        { additionalProperties: true },
      ),
      { description: 'Deployments the router has used, with their circuit and load' },
    ),
    redis: Type.Optional(
      Type.Object(
        {
          status: Type.String({ description: 'up, down, or not_configured (state kept in memory)' }),
          since: Type.Optional(Type.String()),
          lastError: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true, $id: 'DetailedHealth' },
);
