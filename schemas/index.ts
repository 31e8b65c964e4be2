/** Schemas with an `$id`, registered once on the gateway so routes and the OpenAPI document can refer to them. */
import { ChatCompletionChunkSchema, ChatCompletionSchema } from './chat.js';
import { ErrorResponseSchema } from './common.js';
import { EmbeddingsResponseSchema } from './embeddings.js';
import { TranscriptionResponseSchema } from './audio.js';
import { DeletedResponseSchema, ResponseObjectSchema } from './responses.js';
import { ModelListSchema, ModelObjectSchema } from './models.js';
import { DetailedHealthSchema, HealthSchema, ReadinessSchema } from './health.js';
import { adminSchemas } from './admin.js';

export const sharedSchemas = [
  ErrorResponseSchema,
  ChatCompletionSchema,
  ChatCompletionChunkSchema,
  EmbeddingsResponseSchema,
  TranscriptionResponseSchema,
  ResponseObjectSchema,
  DeletedResponseSchema,
  ModelObjectSchema,
  ModelListSchema,
  HealthSchema,
  ReadinessSchema,
  DetailedHealthSchema,
  ...adminSchemas,
];
