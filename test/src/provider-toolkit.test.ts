import { describe, expect, it } from 'vitest';
import { parseStreamEventObject } from '../../src/provider-toolkit.js';
import { UpstreamFailure } from '../../src/upstream.js';

describe('parseStreamEventObject', () => {
  it('gives the object an event holds', () => {
    expect(parseStreamEventObject<{ type: string }>('{"type":"ping"}', 'anthropic')).toEqual({
      type: 'ping',
    });
  });

  it('breaks the stream mid-way on text that is not JSON, or not an object, naming the provider', () => {
    for (const [text, what] of [
      ['{"type":', 'not JSON'],
      ['null', 'not a JSON object'],
      ['42', 'not a JSON object'],
      ['[{"type":"ping"}]', 'not a JSON object'],
    ] as const) {
      let failure: unknown;
      try {
        parseStreamEventObject(text, 'gemini');
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(UpstreamFailure);
      expect(failure).toMatchObject({ kind: 'mid_stream', gatewayCode: 'GW_ERR_UPSTREAM_BAD_RESPONSE' });
      expect((failure as Error).message).toBe(`The provider gemini sent a stream event that is ${what}.`);
    }
  });
});
