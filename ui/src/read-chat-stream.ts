/**
 * Reads a streamed chat completion (server-sent events) as the playground shows it: the text as it
 * arrives, then the finish reason and usage. The parser takes text in any slicing, since a network
 * read can end in the middle of an event or a character.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 */

export interface ChatStreamUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

export interface ChatStreamState {
  text: string;
  model: string | null;
  finishReason: string | null;
  usage: ChatStreamUsage | null;
  done: boolean;
  /** An error event in the stream (the gateway sends one when the upstream fails mid-stream). */
  error: string | null;
}

export function createChatStreamState(): ChatStreamState {
  return { text: '', model: null, finishReason: null, usage: null, done: false, error: null };
}

interface ChunkShape {
  model?: string;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: ChatStreamUsage | null;
  error?: { message?: string };
}

/** Applies one event's data to the state. */
export function applyChatStreamData(state: ChatStreamState, data: string): void {
  if (data === '[DONE]') {
    state.done = true;
    return;
  }
  let chunk: ChunkShape;
  try {
    chunk = JSON.parse(data) as ChunkShape;
  } catch {
    return;
  }
  if (chunk.error) {
    state.error = chunk.error.message ?? 'The stream ended with an error.';
    return;
  }
  if (chunk.model) state.model = chunk.model;
  for (const choice of chunk.choices ?? []) {
    if (typeof choice.delta?.content === 'string') state.text += choice.delta.content;
    if (choice.finish_reason) state.finishReason = choice.finish_reason;
  }
  if (chunk.usage) state.usage = chunk.usage;
}

/** Splits text into events as it arrives; hands each event's data on. */
export class ServerSentEventParser {
  private buffer = '';
  private data: string[] = [];

  constructor(private readonly onData: (data: string) => void) {}

  push(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const breakLength = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      // A lone \r at the end may be the first half of \r\n: wait for the next read.
      if (breakLength === 1 && this.buffer[newline] === '\r' && newline === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(newline + breakLength);
      this.readLine(line);
    }
  }

  /** The end of the stream dispatches an event left without its blank line. */
  end(): void {
    if (this.buffer) this.readLine(this.buffer);
    this.buffer = '';
    this.readLine('');
  }

  private readLine(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onData(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
  }
}
