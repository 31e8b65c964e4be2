/**
 * The gateway's chat answer → the Responses API's: a `response` object with output items, or the
 * typed event sequence that builds it.
 *
 * One state machine serves both: a stream's chunks are pushed as they come, and a unary completion
 * is pushed as the one chunk it amounts to, so a response is the same whether it was streamed.
 *
 * - `reasoning_content` → a `reasoning` item; its text is the item's summary when the request asked
 *   for summaries (`reasoning.summary`), else the summary stays empty, as OpenAI's does;
 * - text → a `message` item with one `output_text` part (and a `refusal` part for a refusal);
 * - each tool call → a `function_call` item (`call_id` = the call's id, arguments as they stream);
 * - the turn's provider state (extension fields on the message and tool calls) → a last
 *   `reasoning` item whose `encrypted_content` carries it (turn-state.ts);
 * - finish reason `length` → status `incomplete` (`max_output_tokens`), `content_filter` →
 *   `incomplete` (`content_filter`), anything else → `completed`; usage in the Responses API's terms.
 *
 * Events: `response.created`, `response.in_progress`, then per item `response.output_item.added`, its
 * parts and deltas (`response.content_part.added`, `response.output_text.delta`,
 * `response.refusal.delta`, `response.reasoning_summary_part.added`,
 * `response.reasoning_summary_text.delta`, `response.function_call_arguments.delta`) and their
 * `….done` events, `response.output_item.done`, and last `response.completed` or
 * `response.incomplete`, each with its `sequence_number`.
 * @see https://platform.openai.com/docs/api-reference/responses-streaming
 */
import type { ChatCompletion, ChatCompletionChunk } from '../../../schemas/chat.js';
import type { ResponsesRequest } from '../../../schemas/responses.js';
import type { ResponsesStreamEvent, Usage } from '../../../src/provider.js';
import { createResponseObject, newResponseId } from './response-object.js';
import { encodeTurnState, isEmptyTurnState, type TurnState } from './turn-state.js';

type Item = Record<string, unknown>;

interface OpenReasoning {
  readonly index: number;
  readonly item: Item;
  text: string;
  summaryStarted: boolean;
}

interface OpenMessage {
  readonly index: number;
  readonly item: Item;
  text: string;
  refusal: string;
  textPart: number | undefined;
  refusalPart: number | undefined;
}

interface OpenCall {
  readonly index: number;
  readonly item: Item;
  arguments: string;
}

export interface AnswerOptions {
  readonly request: ResponsesRequest;
  /** The response's id (`resp_…`). */
  readonly id: string;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Ids of output items; random unless a test fixes them. */
  readonly newId?: (prefix: string) => string;
  /**
   * Whether the builder makes the events of a stream (the default); a unary answer needs only the
   * response, and skips the events' snapshots, copies and JSON text.
   */
  readonly events?: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Builds one response from chat chunks, and the events that tell a stream how it was built. */
export class ResponseBuilder {
  readonly #options: AnswerOptions;
  readonly #newId: (prefix: string) => string;
  readonly #summaries: boolean;
  readonly #output: Item[] = [];
  #events: ResponsesStreamEvent[] = [];
  #sequence = 0;
  #model: string;
  #reasoning: OpenReasoning | undefined;
  #message: OpenMessage | undefined;
  readonly #calls = new Map<number, OpenCall>();
  readonly #openCalls: OpenCall[] = [];
  readonly #state: TurnState = {};
  #finishReason: string | null = null;
  #response: Record<string, unknown> | undefined;
  readonly #recording: boolean;

  constructor(options: AnswerOptions) {
    this.#options = options;
    this.#recording = options.events ?? true;
    this.#newId = options.newId ?? newResponseId;
    const summary = options.request.reasoning?.['summary'] ?? options.request.reasoning?.['generate_summary'];
    this.#summaries = typeof summary === 'string';
    this.#model = options.request.model;
  }

  /** `response.created` and `response.in_progress`, for the model that answers. */
  start(model: string | undefined): ResponsesStreamEvent[] {
    if (model) this.#model = model;
    if (!this.#recording) return [];
    const snapshot = this.#snapshot('in_progress', []);
    this.#emit('response.created', { response: snapshot });
    this.#emit('response.in_progress', { response: snapshot });
    return this.#take();
  }

  /** The events one chat chunk becomes (often one, sometimes none). */
  push(chunk: ChatCompletionChunk): ResponsesStreamEvent[] {
    const choice = chunk.choices.find((candidate) => candidate.index === 0);
    if (!choice) return this.#take();
    const delta = choice.delta;
    const reasoning = delta['reasoning_content'];
    if (typeof reasoning === 'string' && reasoning.length > 0) this.#addReasoning(reasoning);
    const content = delta['content'];
    if (typeof content === 'string' && content.length > 0) this.#addText(content);
    const refusal = delta['refusal'];
    if (typeof refusal === 'string' && refusal.length > 0) this.#addRefusal(refusal);
    const toolCalls = delta['tool_calls'];
    if (Array.isArray(toolCalls)) for (const call of toolCalls) if (isObject(call)) this.#addToolCall(call);
    const extra = delta['extra_content'];
    if (isObject(extra)) this.#state.message = { ...this.#state.message, ...extra };
    if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    return this.#take();
  }

  /** The closing events, after the chat answer ended cleanly, ending with the terminal event. */
  finish(usage: Usage | undefined): ResponsesStreamEvent[] {
    const truncated = this.#finishReason === 'length';
    this.#closeReasoning();
    this.#closeMessage(truncated ? 'incomplete' : 'completed');
    this.#closeCalls();
    if (!isEmptyTurnState(this.#state)) {
      const item: Item = {
        id: this.#newId('rs'),
        type: 'reasoning',
        summary: [],
        encrypted_content: encodeTurnState(this.#state),
      };
      const index = this.#add(item);
      this.#emit('response.output_item.done', { output_index: index, item });
    }
    const incompleteReason = truncated
      ? ('max_output_tokens' as const)
      : this.#finishReason === 'content_filter'
        ? ('content_filter' as const)
        : undefined;
    this.#response = createResponseObject(this.#options.request, {
      id: this.#options.id,
      createdAt: this.#options.createdAt,
      model: this.#model,
      status: incompleteReason ? 'incomplete' : 'completed',
      output: this.#output,
      incompleteReason,
      usage,
    });
    this.#emit(incompleteReason ? 'response.incomplete' : 'response.completed', { response: this.#response });
    return this.#take();
  }

  /** The finished response (after `finish`). */
  get response(): Record<string, unknown> {
    if (!this.#response) throw new Error('the response is not finished');
    return this.#response;
  }

  #snapshot(status: 'in_progress', output: Item[]): Record<string, unknown> {
    return createResponseObject(this.#options.request, {
      id: this.#options.id,
      createdAt: this.#options.createdAt,
      model: this.#model,
      status,
      output,
    });
  }

  #emit(type: string, fields: Record<string, unknown>): void {
    if (!this.#recording) return;
    const data = JSON.stringify({ type, sequence_number: this.#sequence++, ...fields });
    this.#events.push({ type, data });
  }

  #take(): ResponsesStreamEvent[] {
    const events = this.#events;
    this.#events = [];
    return events;
  }

  /** Adds an output item, announcing it as it stands now (a copy: the item grows afterwards). */
  #add(item: Item): number {
    const index = this.#output.length;
    this.#output.push(item);
    if (this.#recording) {
      this.#emit('response.output_item.added', { output_index: index, item: structuredClone(item) });
    }
    return index;
  }

  #addReasoning(text: string): void {
    this.#closeMessage('completed');
    this.#closeCalls();
    if (!this.#reasoning) {
      const item: Item = { id: this.#newId('rs'), type: 'reasoning', summary: [] };
      this.#reasoning = { index: this.#add(item), item, text: '', summaryStarted: false };
    }
    const open = this.#reasoning;
    open.text += text;
    if (!this.#summaries) return;
    const where = { item_id: open.item['id'], output_index: open.index, summary_index: 0 };
    if (!open.summaryStarted) {
      open.summaryStarted = true;
      this.#emit('response.reasoning_summary_part.added', {
        ...where,
        part: { type: 'summary_text', text: '' },
      });
    }
    this.#emit('response.reasoning_summary_text.delta', { ...where, delta: text });
  }

  #closeReasoning(): void {
    const open = this.#reasoning;
    if (!open) return;
    this.#reasoning = undefined;
    if (open.summaryStarted) {
      const where = { item_id: open.item['id'], output_index: open.index, summary_index: 0 };
      const part = { type: 'summary_text', text: open.text };
      this.#emit('response.reasoning_summary_text.done', { ...where, text: open.text });
      this.#emit('response.reasoning_summary_part.done', { ...where, part });
      open.item['summary'] = [part];
    }
    this.#emit('response.output_item.done', { output_index: open.index, item: open.item });
  }

  #openMessage(): OpenMessage {
    this.#closeReasoning();
    this.#closeCalls();
    if (!this.#message) {
      const item: Item = {
        id: this.#newId('msg'),
        type: 'message',
        status: 'in_progress',
        content: [],
        role: 'assistant',
      };
      this.#message = {
        index: this.#add(item),
        item,
        text: '',
        refusal: '',
        textPart: undefined,
        refusalPart: undefined,
      };
    }
    return this.#message;
  }

  #partCount(open: OpenMessage): number {
    return (open.textPart === undefined ? 0 : 1) + (open.refusalPart === undefined ? 0 : 1);
  }

  #addText(text: string): void {
    const open = this.#openMessage();
    if (open.textPart === undefined) {
      open.textPart = this.#partCount(open);
      this.#emit('response.content_part.added', {
        item_id: open.item['id'],
        output_index: open.index,
        content_index: open.textPart,
        part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
      });
    }
    open.text += text;
    this.#emit('response.output_text.delta', {
      item_id: open.item['id'],
      output_index: open.index,
      content_index: open.textPart,
      delta: text,
      logprobs: [],
    });
  }

  #addRefusal(refusal: string): void {
    const open = this.#openMessage();
    if (open.refusalPart === undefined) {
      open.refusalPart = this.#partCount(open);
      this.#emit('response.content_part.added', {
        item_id: open.item['id'],
        output_index: open.index,
        content_index: open.refusalPart,
        part: { type: 'refusal', refusal: '' },
      });
    }
    open.refusal += refusal;
    this.#emit('response.refusal.delta', {
      item_id: open.item['id'],
      output_index: open.index,
      content_index: open.refusalPart,
      delta: refusal,
    });
  }

  #closeMessage(status: 'completed' | 'incomplete'): void {
    const open = this.#message;
    if (!open) return;
    this.#message = undefined;
    const where = { item_id: open.item['id'], output_index: open.index };
    const parts: Item[] = [];
    if (open.textPart !== undefined) {
      const part = { type: 'output_text', annotations: [], logprobs: [], text: open.text };
      this.#emit('response.output_text.done', {
        ...where,
        content_index: open.textPart,
        text: open.text,
        logprobs: [],
      });
      this.#emit('response.content_part.done', { ...where, content_index: open.textPart, part });
      parts[open.textPart] = part;
    }
    if (open.refusalPart !== undefined) {
      const part = { type: 'refusal', refusal: open.refusal };
      this.#emit('response.refusal.done', {
        ...where,
        content_index: open.refusalPart,
        refusal: open.refusal,
      });
      this.#emit('response.content_part.done', { ...where, content_index: open.refusalPart, part });
      parts[open.refusalPart] = part;
    }
    open.item['content'] = parts;
    open.item['status'] = status;
    this.#emit('response.output_item.done', { output_index: open.index, item: open.item });
  }

  #addToolCall(delta: Record<string, unknown>): void {
    const chatIndex = typeof delta['index'] === 'number' ? delta['index'] : this.#calls.size;
    const fn = isObject(delta['function']) ? delta['function'] : {};
    let open = this.#calls.get(chatIndex);
    if (!open) {
      this.#closeReasoning();
      this.#closeMessage('completed');
      const item: Item = {
        id: this.#newId('fc'),
        type: 'function_call',
        status: 'in_progress',
        arguments: '',
        call_id: typeof delta['id'] === 'string' && delta['id'] ? delta['id'] : this.#newId('call'),
        name: typeof fn['name'] === 'string' ? fn['name'] : '',
      };
      open = { index: this.#add(item), item, arguments: '' };
      this.#calls.set(chatIndex, open);
      this.#openCalls.push(open);
    } else if (typeof fn['name'] === 'string' && fn['name'] && !open.item['name']) {
      open.item['name'] = fn['name'];
    }
    const extra = delta['extra_content'];
    if (isObject(extra)) {
      const callId = String(open.item['call_id']);
      this.#state.calls = { ...this.#state.calls, [callId]: { ...this.#state.calls?.[callId], ...extra } };
    }
    const piece = fn['arguments'];
    if (typeof piece === 'string' && piece.length > 0) {
      open.arguments += piece;
      this.#emit('response.function_call_arguments.delta', {
        item_id: open.item['id'],
        output_index: open.index,
        delta: piece,
      });
    }
  }

  #closeCalls(): void {
    for (const open of this.#openCalls) {
      open.item['arguments'] = open.arguments;
      open.item['status'] = 'completed';
      this.#emit('response.function_call_arguments.done', {
        item_id: open.item['id'],
        name: open.item['name'],
        output_index: open.index,
        arguments: open.arguments,
      });
      this.#emit('response.output_item.done', { output_index: open.index, item: open.item });
    }
    this.#openCalls.length = 0;
  }
}

/** A unary chat completion as the one chunk it amounts to. */
function chunkOf(completion: ChatCompletion): ChatCompletionChunk {
  const choice = completion.choices.find((candidate) => candidate.index === 0) ?? completion.choices[0];
  const message = (choice?.message ?? {}) as Record<string, unknown>;
  const delta: Record<string, unknown> = { ...message };
  if (Array.isArray(message['tool_calls'])) {
    delta['tool_calls'] = (message['tool_calls'] as Record<string, unknown>[]).map((call, index) => ({
      index,
      ...call,
    }));
  }
  return {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    choices: [{ index: 0, delta, finish_reason: choice?.finish_reason ?? 'stop' }],
  };
}

/** A unary chat completion → the `response` object. */
export function convertChatCompletion(
  completion: ChatCompletion,
  usage: Usage | undefined,
  options: AnswerOptions,
): Record<string, unknown> {
  const builder = new ResponseBuilder({ ...options, events: false });
  builder.start(completion.model);
  builder.push(chunkOf(completion));
  builder.finish(usage);
  return builder.response;
}
