/**
 * A coding agent's traffic, as such agents send it through `ANTHROPIC_BASE_URL`, served by an
 * OpenAI model: a long system prompt with `cache_control`, many tools (the last with a breakpoint),
 * the agent's betas, `metadata.user_id`, thinking, `count_tokens` before a turn, streamed turns with
 * tool calls, tool results over several turns (one an error, one with a screenshot), and a small
 * unary request on the side. Every request must answer without an error; the test also checks what
 * OpenAI received at each step.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { startFakeOpenAI, streamChat, unaryChat } from '../helpers/fake-openai.js';
import { OPENAI_KEY, TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';

const CHAT_PATH = '/v1/chat/completions';
const MODEL = 'gpt-4o';
const BETAS = 'claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14';
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

let openai: FakeUpstream;
let gateway: TestApp;
let agent: Anthropic;

/** A chat stream as OpenAI writes it: a role chunk, the deltas, the finish, the usage, [DONE]. */
function chatStream(deltas: Record<string, unknown>[], finish: string, promptTokens: number): string {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: 'chatcmpl-agent',
    object: 'chat.completion.chunk',
    created: 1762560000,
    model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
  });
  const events = [
    chunk({ role: 'assistant', content: '' }),
    ...deltas.map((delta) => chunk(delta)),
    chunk({}, finish),
    {
      id: 'chatcmpl-agent',
      object: 'chat.completion.chunk',
      created: 1762560000,
      model: 'gpt-4o-2024-08-06',
      choices: [],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: 40,
        total_tokens: promptTokens + 40,
        prompt_tokens_details: { cached_tokens: promptTokens - 200 },
      },
    },
  ];
  return `${events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('')}data: [DONE]\n\n`;
}

/** A tool call written in pieces, as OpenAI streams them. */
function toolCall(index: number, id: string, name: string, input: Record<string, unknown>) {
  const text = JSON.stringify(input);
  const cut = Math.floor(text.length / 2);
  return [
    { tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] },
    { tool_calls: [{ index, function: { arguments: text.slice(0, cut) } }] },
    { tool_calls: [{ index, function: { arguments: text.slice(cut) } }] },
  ];
}

const schema = (properties: Record<string, unknown>, required: string[]) => ({
  type: 'object' as const,
  properties,
  required,
  additionalProperties: false,
  $schema: 'http://json-schema.org/draft-07/schema#',
});

const TOOLS: Anthropic.Tool[] = [
  ['Bash', { command: { type: 'string' }, timeout: { type: 'number' } }, ['command']],
  [
    'Read',
    { file_path: { type: 'string' }, offset: { type: 'number' }, limit: { type: 'number' } },
    ['file_path'],
  ],
  ['Write', { file_path: { type: 'string' }, content: { type: 'string' } }, ['file_path', 'content']],
  [
    'Edit',
    { file_path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' } },
    ['file_path', 'old_string', 'new_string'],
  ],
  [
    'MultiEdit',
    { file_path: { type: 'string' }, edits: { type: 'array', items: { type: 'object' } } },
    ['file_path', 'edits'],
  ],
  ['Glob', { pattern: { type: 'string' }, path: { type: 'string' } }, ['pattern']],
  ['Grep', { pattern: { type: 'string' }, path: { type: 'string' }, glob: { type: 'string' } }, ['pattern']],
  ['LS', { path: { type: 'string' }, ignore: { type: 'array', items: { type: 'string' } } }, ['path']],
  ['TodoWrite', { todos: { type: 'array', items: { type: 'object' } } }, ['todos']],
  ['WebFetch', { url: { type: 'string', format: 'uri' }, prompt: { type: 'string' } }, ['url', 'prompt']],
  [
    'NotebookEdit',
    { notebook_path: { type: 'string' }, new_source: { type: 'string' } },
    ['notebook_path', 'new_source'],
  ],
  ['Task', { description: { type: 'string' }, prompt: { type: 'string' } }, ['description', 'prompt']],
  ['BashOutput', { bash_id: { type: 'string' } }, ['bash_id']],
  ['KillShell', { shell_id: { type: 'string' } }, ['shell_id']],
  ['ExitPlanMode', { plan: { type: 'string' } }, ['plan']],
  ['mcp__ide__getDiagnostics', { uri: { type: 'string' } }, []],
].map(([name, properties, required], index, all) => ({
  name: name as string,
  description: `${name as string}: a tool of the agent. `.repeat(20),
  input_schema: schema(properties as Record<string, unknown>, required as string[]),
  ...(index === all.length - 1 ? { cache_control: { type: 'ephemeral' as const } } : {}),
}));

const SYSTEM: Anthropic.TextBlockParam[] = [
  { type: 'text', text: 'You are an interactive coding agent.' },
  {
    type: 'text',
    text: 'Follow the repository conventions; run the tests before you commit. '.repeat(400),
    cache_control: { type: 'ephemeral' },
  },
];

const common = {
  model: MODEL,
  max_tokens: 32000,
  system: SYSTEM,
  tools: TOOLS,
  metadata: { user_id: 'user_0f3a_account_9b2c_session_77de' },
  thinking: { type: 'enabled' as const, budget_tokens: 4000 },
};

beforeAll(async () => {
  openai = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${openai.origin}/v1`, REQUEST_TIMEOUT: '5000' },
  });
  const url = await gateway.listen();
  agent = new Anthropic({
    baseURL: url,
    apiKey: TEST_KEY,
    maxRetries: 0,
    defaultHeaders: { 'anthropic-beta': BETAS, 'x-app': 'cli' },
  });
});
afterAll(async () => {
  await gateway.close();
  await openai.close();
});

type ChatBody = { messages: Record<string, unknown>[] } & Record<string, unknown>;

describe('a coding agent’s session served by an OpenAI model', () => {
  it('answers every request of the session without an error', async () => {
    const sent: ChatBody[] = [];
    const warnings: (string | null)[] = [];
    const messages: Anthropic.MessageParam[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>The working directory is /repo.</system-reminder>' },
          { type: 'text', text: 'Fix the failing test in src/date.ts', cache_control: { type: 'ephemeral' } },
        ],
      },
    ];

    // The agent counts the prompt before its first turn.
    const count = await agent.messages.countTokens({ model: MODEL, system: SYSTEM, tools: TOOLS, messages });
    expect(count.input_tokens).toBeGreaterThan(5000);

    // Turn 1: it reads a file.
    openai.enqueue(
      'POST',
      CHAT_PATH,
      streamChat(
        chatStream(
          [
            { content: 'Let me look at the file.' },
            ...toolCall(0, 'call_read_1', 'Read', { file_path: '/repo/src/date.ts' }),
          ],
          'tool_calls',
          9000,
        ),
        64,
      ),
    );
    const first = agent.messages.stream({ ...common, messages });
    const turn1 = await first.finalMessage();
    warnings.push((await first.withResponse()).response.headers.get('x-gateway-warnings'));
    sent.push(openai.last().json as ChatBody);
    expect(turn1.stop_reason).toBe('tool_use');
    expect(turn1.content).toEqual([
      { type: 'text', text: 'Let me look at the file.', citations: null },
      { type: 'tool_use', id: 'call_read_1', name: 'Read', input: { file_path: '/repo/src/date.ts' } },
    ]);
    expect(turn1.usage).toMatchObject({
      input_tokens: 200,
      cache_read_input_tokens: 8800,
      output_tokens: 40,
    });

    // Turn 2: the file, then two searches at once.
    messages.push({ role: 'assistant', content: turn1.content });
    messages.push({
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'call_read_1',
          content: `${'export function parse(text: string) {\n  return new Date(text);\n}\n'.repeat(50)}`,
        },
      ],
    });
    openai.enqueue(
      'POST',
      CHAT_PATH,
      streamChat(
        chatStream(
          [
            ...toolCall(0, 'call_glob_2', 'Glob', { pattern: 'test/**/date*.test.ts' }),
            ...toolCall(1, 'call_grep_2', 'Grep', { pattern: 'parse\\(', path: '/repo/src' }),
          ],
          'tool_calls',
          12000,
        ),
        50,
      ),
    );
    const second = await agent.messages.create({ ...common, messages, stream: true });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of second) events.push(event);
    sent.push(openai.last().json as ChatBody);
    const uses = events.filter(
      (event): event is Anthropic.RawContentBlockStartEvent =>
        event.type === 'content_block_start' && event.content_block.type === 'tool_use',
    );
    expect(uses.map((event) => (event.content_block as Anthropic.ToolUseBlock).name)).toEqual([
      'Glob',
      'Grep',
    ]);

    // Turn 3: one search failed, a screenshot comes with the other; the model answers.
    const turn2Content: Anthropic.ContentBlockParam[] = [
      { type: 'tool_use', id: 'call_glob_2', name: 'Glob', input: { pattern: 'test/**/date*.test.ts' } },
      {
        type: 'tool_use',
        id: 'call_grep_2',
        name: 'Grep',
        input: { pattern: 'parse\\(', path: '/repo/src' },
      },
    ];
    messages.push({ role: 'assistant', content: turn2Content });
    messages.push({
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'call_glob_2',
          content: 'Error: no such directory',
          is_error: true,
        },
        {
          type: 'tool_result',
          tool_use_id: 'call_grep_2',
          content: [
            { type: 'text', text: 'src/date.ts:1: export function parse(' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
          ],
        },
        { type: 'text', text: 'Also keep it short.', cache_control: { type: 'ephemeral' } },
      ],
    });
    openai.enqueue(
      'POST',
      CHAT_PATH,
      streamChat(
        chatStream(
          [{ content: 'The test expects UTC; ' }, { content: 'parse now appends Z.' }],
          'stop',
          15000,
        ),
      ),
    );
    const third = agent.messages.stream({ ...common, messages });
    const turn3 = await third.finalMessage();
    sent.push(openai.last().json as ChatBody);
    expect(turn3.content).toEqual([
      { type: 'text', text: 'The test expects UTC; parse now appends Z.', citations: null },
    ]);
    expect(turn3.stop_reason).toBe('end_turn');

    // On the side: a small unary request for a title, as agents make with a fast model.
    openai.enqueue(
      'POST',
      CHAT_PATH,
      unaryChat(
        JSON.stringify({
          id: 'chatcmpl-title',
          object: 'chat.completion',
          created: 1762560000,
          model: 'gpt-4o-mini-2024-07-18',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: '{"title": "Fix date parsing"}' },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 50, completion_tokens: 8, total_tokens: 58 },
        }),
      ),
    );
    const title = await agent.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 512,
      system: [{ type: 'text', text: 'Summarize the conversation in a title. Answer JSON.' }],
      messages: [{ role: 'user', content: 'Fix the failing test in src/date.ts' }],
      metadata: common.metadata,
    });
    expect(title.content[0]).toMatchObject({ type: 'text', text: '{"title": "Fix date parsing"}' });

    // What OpenAI received: no Anthropic-only field, the limits of the model, the results in order.
    for (const body of sent) {
      expect(JSON.stringify(body)).not.toContain('cache_control');
      expect(body['max_completion_tokens']).toBe(16384);
      expect(body['reasoning_effort']).toBeUndefined();
      expect(body['user']).toBe(common.metadata.user_id);
      expect(body['tools']).toHaveLength(TOOLS.length);
      expect(body['stream_options']).toEqual({ include_usage: true });
      expect(body.messages[0]).toMatchObject({ role: 'system' });
    }
    expect(
      openai.received(CHAT_PATH).every((request) => request.headers['anthropic-beta'] === undefined),
    ).toBe(true);
    expect(sent[2]!.messages.slice(-4)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_glob_2',
            type: 'function',
            function: { name: 'Glob', arguments: '{"pattern":"test/**/date*.test.ts"}' },
          },
          {
            id: 'call_grep_2',
            type: 'function',
            function: { name: 'Grep', arguments: '{"pattern":"parse\\\\(","path":"/repo/src"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_glob_2', content: 'Error: no such directory' },
      { role: 'tool', tool_call_id: 'call_grep_2', content: 'src/date.ts:1: export function parse(' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Attached to the result of tool call call_grep_2:' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          { type: 'text', text: 'Also keep it short.' },
        ],
      },
    ]);
    // Each dropped or lowered thing was said, once per request.
    expect(warnings[0]).toContain('max_tokens 32000 lowered to 16384');
    expect(warnings[0]).toContain("dropped unsupported parameter 'thinking' for model 'gpt-4o'");
    expect(warnings[0]).toContain('cache_control breakpoints not sent');

    const lines = gateway.logs
      .accessLines()
      .filter((line) => String(line['route']).startsWith('/v1/messages'));
    expect(lines.map((line) => line['status'])).toEqual([200, 200, 200, 200, 200]);
    expect(lines.map((line) => line['route'])).toEqual([
      '/v1/messages/count_tokens',
      '/v1/messages',
      '/v1/messages',
      '/v1/messages',
      '/v1/messages',
    ]);
    expect(lines.slice(1).map((line) => line['promptTokens'])).toEqual([9000, 12000, 15000, 50]);
  });
});
