/**
 * The recorded-form OpenAI fixtures the fake upstream serves are themselves valid against OpenAI's
 * published schemas, so a test that passes them through proves something about the real wire.
 */
import { describe, expect, it } from 'vitest';
import { openaiFixture } from '../helpers/fake-openai.js';
import { assertOpenAISchema, type OpenAISchemaName } from '../helpers/openai-schemas.js';

describe('OpenAI audio and Responses API fixtures', () => {
  it.each([
    ['transcription.json', 'CreateTranscriptionResponseJson'],
    ['transcription-verbose.json', 'CreateTranscriptionResponseVerboseJson'],
    ['translation.json', 'CreateTranscriptionResponseJson'],
    ['response.json', 'Response'],
    ['response-tool-calls.json', 'Response'],
  ] as [string, OpenAISchemaName][])('%s is a valid %s', (name, schema) => {
    assertOpenAISchema(schema, JSON.parse(openaiFixture(name)));
  });

  it.each(['response-stream.txt', 'response-stream-tool-calls.txt'])(
    '%s: every event is a valid ResponseStreamEvent, named and numbered in order',
    (name) => {
      const frames = openaiFixture(name).split('\n\n').filter(Boolean);
      frames.forEach((frame, index) => {
        const [eventLine, dataLine] = frame.split('\n');
        const event = JSON.parse(dataLine!.slice('data: '.length)) as {
          type: string;
          sequence_number: number;
        };
        assertOpenAISchema('ResponseStreamEvent', event);
        expect(eventLine).toBe(`event: ${event.type}`);
        expect(event.sequence_number).toBe(index);
      });
      expect(frames.at(-1)).toContain('"type":"response.completed"');
    },
  );
});
