/**
 * The smaller pieces of the Anthropic door, pure: its error envelope, its model pages, its token
 * estimate, its own thinking blocks in requests passed through, and its stream framing.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError, renderError } from '../../../../src/errors.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
import {
  convertToMessagesError,
  mapErrorType,
} from '../../../../plugins/api/anthropic-messages/render-messages-error.js';
import { convertToModelPage } from '../../../../plugins/api/anthropic-messages/convert-model-list.js';
import {
  TOKENS_PER_IMAGE,
  TOKENS_PER_MESSAGE,
  TOKENS_PER_PDF_PAGE,
  TOOL_USE_PROMPT_TOKENS,
  estimateInputTokens,
} from '../../../../plugins/api/anthropic-messages/count-message-tokens.js';
import {
  createCarrierBlock,
  createThinkingBlock,
  withoutGatewayBlocks,
} from '../../../../plugins/api/anthropic-messages/gateway-thinking-blocks.js';
import { messagesStreamBody } from '../../../../plugins/api/anthropic-messages/write-messages-stream.js';
import type { MessagesStreamEvent } from '../../../../plugins/api/anthropic-messages/convert-chat-stream.js';
import type { CountTokensRequest } from '../../../../plugins/api/anthropic-messages/messages-schema.js';
import { countTokens } from '../../../../src/tokens.js';

describe('errors in Anthropic’s envelope', () => {
  it.each([
    ['GW_ERR_REQUEST_VALIDATION', 400, 'invalid_request_error'],
    ['GW_ERR_AUTH_INVALID_KEY', 401, 'authentication_error'],
    ['GW_ERR_AUTH_MODEL_FORBIDDEN', 403, 'permission_error'],
    ['GW_ERR_MODEL_NOT_FOUND', 404, 'not_found_error'],
    ['GW_ERR_REQUEST_TOO_LARGE', 413, 'request_too_large'],
    ['GW_ERR_RATE_LIMITED', 429, 'rate_limit_error'],
    ['GW_ERR_BUDGET_EXCEEDED', 429, 'rate_limit_error'],
    ['GW_ERR_UPSTREAM_ERROR', 502, 'api_error'],
    ['GW_ERR_SERVER_OVERLOADED', 503, 'overloaded_error'],
    ['GW_ERR_UPSTREAM_TIMEOUT', 504, 'timeout_error'],
    ['GW_ERR_INTERNAL', 500, 'api_error'],
    ['GW_ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE', 415, 'invalid_request_error'],
  ] as const)('%s: status %i, type %s', (code, status, type) => {
    const rendered = renderError(new GatewayError(code));
    expect(rendered.status).toBe(status);
    expect(convertToMessagesError(rendered, 'req-1')).toEqual({
      type: 'error',
      error: { type, message: rendered.envelope.error.message },
      request_id: 'req-1',
    });
  });

  it('keeps the type an Anthropic upstream gave (an overload is not a 500 to the client)', () => {
    const failure = new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', 'http', {
      status: 529,
      code: 'overloaded_error',
      message: 'Overloaded',
      upstreamStatus: 529,
    });
    const rendered = renderError(failure);
    expect(rendered.status).toBe(529);
    expect(mapErrorType(rendered)).toBe('overloaded_error');
  });

  it('carries the gateway’s details', () => {
    const rendered = renderError(
      new GatewayError('GW_ERR_MODEL_NOT_FOUND', { details: { available_models: ['gpt-4o'] } }),
    );
    expect(convertToMessagesError(rendered, 'r').error.details).toEqual({ available_models: ['gpt-4o'] });
  });
});

describe('model pages', () => {
  const models = ['a', 'b', 'c', 'd', 'e'].map((id, index) => ({ id, created: 1_700_000_000 + index }));

  it('gives the first page, then the next after its last id, then the one before', () => {
    const first = convertToModelPage(models, { limit: 2 });
    expect(first).toMatchObject({ has_more: true, first_id: 'a', last_id: 'b' });
    expect(first.data[0]).toEqual({
      type: 'model',
      id: 'a',
      display_name: 'a',
      created_at: '2023-11-14T22:13:20.000Z',
      max_input_tokens: null,
      max_tokens: null,
    });
    expect(convertToModelPage(models, { limit: 2, after_id: 'b' })).toMatchObject({
      has_more: true,
      first_id: 'c',
      last_id: 'd',
    });
    expect(convertToModelPage(models, { limit: 2, after_id: 'd' })).toMatchObject({
      has_more: false,
      first_id: 'e',
      last_id: 'e',
    });
    expect(convertToModelPage(models, { limit: 2, before_id: 'e' })).toMatchObject({
      has_more: true,
      first_id: 'c',
      last_id: 'd',
    });
    expect(convertToModelPage(models, { after_id: 'unknown' }).data).toEqual([]);
  });
});

describe('the token estimate', () => {
  it('counts the text with the tokenizer and adds the framing, media and tool allowances', async () => {
    const tools = [{ name: 'read', description: 'Read a file', input_schema: { type: 'object' } }];
    const body = {
      model: 'gpt-4o',
      system: 'You are terse.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe these.' },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
            {
              type: 'document',
              source: {
                type: 'base64',
                media_type: 'application/pdf',
                data: Buffer.from('%PDF-1.4 /Type /Pages /Type /Page /Type /Page').toString('base64'),
              },
            },
          ],
        },
        { role: 'assistant', content: 'Done.' },
      ],
      tools,
    } as CountTokensRequest;
    const text = ['You are terse.', 'Describe these.', 'Done.', JSON.stringify(tools[0])].join('\n');
    const expected =
      (await countTokens(text, 'o200k_base'))! +
      2 * TOKENS_PER_MESSAGE +
      TOKENS_PER_IMAGE +
      2 * TOKENS_PER_PDF_PAGE +
      TOOL_USE_PROMPT_TOKENS;
    expect(await estimateInputTokens(body)).toBe(expected);
    // A tokenizer the gateway has not falls back to o200k_base.
    expect(await estimateInputTokens(body, 'unknown_base')).toBe(expected);
  });

  it('counts special-token text as plain text instead of failing', async () => {
    const body = { model: 'm', messages: [{ role: 'user', content: '<|endoftext|>' }] } as CountTokensRequest;
    expect(await estimateInputTokens(body)).toBeGreaterThan(TOKENS_PER_MESSAGE);
  });
});

describe('requests passed through to Anthropic', () => {
  it('leave the gateway’s own blocks out, and an assistant turn that held only them', () => {
    const body = {
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: [
            createThinkingBlock('translated reasoning'),
            { type: 'thinking', thinking: 'Claude’s own', signature: 'EqQB' },
            { type: 'text', text: 'Hello' },
            createCarrierBlock({ toolCalls: { call_1: { opaque: true } } })!,
          ],
        },
        { role: 'user', content: 'And?' },
        { role: 'assistant', content: [createThinkingBlock('only this')] },
      ],
    };
    expect(withoutGatewayBlocks(body)).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Claude’s own', signature: 'EqQB' },
            { type: 'text', text: 'Hello' },
          ],
        },
        { role: 'user', content: 'And?' },
      ],
    });
    const plain = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };
    expect(withoutGatewayBlocks(plain)).toBe(plain);
  });
});

describe('stream framing', () => {
  /** The body's text, and what its hooks saw. */
  async function collect(events: AsyncIterable<MessagesStreamEvent>) {
    const seen: string[] = [];
    let ended = 0;
    let text = '';
    const body = messagesStreamBody(events, {
      keepAliveMs: 60_000,
      onEvent: (event) => seen.push(event.event),
      onError: (error) =>
        JSON.stringify({ type: 'error', error: { type: 'api_error', message: (error as Error).message } }),
      onEnd: () => ended++,
    });
    for await (const piece of body) text += String(piece);
    return { text, seen, ended };
  }

  it('writes each event with its event line, and an error event after a failure', async () => {
    async function* events(): AsyncGenerator<MessagesStreamEvent> {
      yield { event: 'message_start', data: '{"type":"message_start"}' };
      throw new Error('cut short');
    }
    const { text, seen, ended } = await collect(events());
    expect(text).toBe(
      'event: message_start\ndata: {"type":"message_start"}\n\n' +
        'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"cut short"}}\n\n',
    );
    expect(seen).toEqual(['message_start']);
    expect(ended).toBe(1);
  });

  it('writes a ping while the next event is late', async () => {
    let release!: () => void;
    const late = new Promise<void>((resolve) => (release = resolve));
    async function* events(): AsyncGenerator<MessagesStreamEvent> {
      yield { event: 'message_start', data: '{}' };
      await late;
      yield { event: 'message_stop', data: '{}' };
    }
    const pieces: string[] = [];
    const body = messagesStreamBody(events(), {
      keepAliveMs: 1,
      onEvent: () => {},
      onError: () => '{}',
      onEnd: () => {},
    });
    for await (const piece of body) {
      pieces.push(String(piece));
      if (String(piece).startsWith('event: ping')) release();
    }
    expect(pieces[0]).toBe('event: message_start\ndata: {}\n\n');
    expect(pieces[1]).toBe('event: ping\ndata: {"type": "ping"}\n\n');
    expect(pieces.at(-1)).toMatch(/event: message_stop\ndata: \{\}\n\n$/);
  });
});
