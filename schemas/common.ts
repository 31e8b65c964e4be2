import { Type, type Static, type TSchema, type TUnion } from '@sinclair/typebox';

/**
 * A union told apart by one property (`role`, `type`). Emitted as `oneOf` + `discriminator`, which
 * Ajv checks by looking at the tag first: a wrong `role` gets "must be one of ..." instead of the
 * errors of every variant.
 */
export function DiscriminatedUnion<T extends TSchema[]>(
  propertyName: string,
  variants: [...T],
  options = {},
) {
  // `type: object` first: a list or a string is refused as the wrong type, whatever its items.
  return Type.Unsafe<Static<TUnion<T>>>({
    ...options,
    type: 'object',
    oneOf: variants,
    discriminator: { propertyName },
  });
}

/** `T | null`, as OpenAI writes nullable fields. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

export const ErrorObjectSchema = Type.Object(
  {
    message: Type.String(),
    type: Type.String(),
    param: Nullable(Type.String()),
    code: Nullable(Type.String()),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: true },
);

export const ErrorResponseSchema = Type.Object(
  { error: ErrorObjectSchema },
  { $id: 'ErrorResponse', description: 'OpenAI-style error envelope', additionalProperties: true },
);

export type ErrorResponse = Static<typeof ErrorResponseSchema>;

/** Error answers every authenticated JSON route can give, for the OpenAPI document. */
export const commonErrorResponses = {
  400: Type.Ref('ErrorResponse'),
  401: Type.Ref('ErrorResponse'),
  404: Type.Ref('ErrorResponse'),
  429: Type.Ref('ErrorResponse'),
  500: Type.Ref('ErrorResponse'),
  502: Type.Ref('ErrorResponse'),
  503: Type.Ref('ErrorResponse'),
  504: Type.Ref('ErrorResponse'),
};
