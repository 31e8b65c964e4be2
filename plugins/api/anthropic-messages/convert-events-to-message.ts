/**
 * The events of a Messages API stream → the message they make, as Anthropic's SDKs put it together:
 * the message of `message_start`; each block from its `content_block_start`, its deltas appended
 * (text, thinking, citations; the signature set; tool input as JSON text, parsed at the block's
 * stop); `message_delta`'s stop reason, stop details and usage (totals, field by field). Used to keep
 * a streamed answer in the response cache, so that it can be replayed unary or streamed.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */

type Block = Record<string, unknown>;

interface EventData {
  type?: unknown;
  index?: unknown;
  message?: Record<string, unknown>;
  content_block?: Block;
  delta?: {
    type?: unknown;
    text?: unknown;
    thinking?: unknown;
    signature?: unknown;
    partial_json?: unknown;
    citation?: unknown;
    stop_reason?: unknown;
    stop_sequence?: unknown;
    stop_details?: unknown;
  };
  usage?: Record<string, unknown>;
}

export class MessageEventCollector {
  #message: (Record<string, unknown> & { content: Block[] }) | undefined;
  readonly #inputs = new Map<number, string>();
  #stopped = false;
  /** Set when an event could not be read: the message is not whole, and is not given. */
  #broken = false;

  /**
   * Takes one event: its JSON data, or the object the gateway wrote it from (read, never changed);
   * pings and errors are passed over.
   */
  push(data: string | Record<string, unknown>): void {
    if (this.#broken || this.#stopped) return;
    let event: EventData;
    if (typeof data === 'string') {
      try {
        event = JSON.parse(data) as EventData;
      } catch {
        this.#broken = true;
        return;
      }
    } else {
      event = data as EventData;
    }
    const index = typeof event.index === 'number' ? event.index : -1;
    const message = this.#message;
    switch (event.type) {
      case 'message_start':
        this.#message = { ...event.message, content: [] };
        return;
      case 'content_block_start':
        if (!message || !event.content_block || index !== message.content.length) break;
        message.content.push({ ...event.content_block });
        return;
      case 'content_block_delta': {
        const block = message?.content[index];
        const delta = event.delta;
        if (!block || !delta) break;
        switch (delta.type) {
          case 'text_delta':
            block['text'] = String(block['text'] ?? '') + String(delta.text ?? '');
            return;
          case 'thinking_delta':
            block['thinking'] = String(block['thinking'] ?? '') + String(delta.thinking ?? '');
            return;
          case 'signature_delta':
            block['signature'] = delta.signature;
            return;
          case 'citations_delta':
            block['citations'] = [...((block['citations'] as unknown[] | null) ?? []), delta.citation];
            return;
          case 'input_json_delta':
            this.#inputs.set(index, (this.#inputs.get(index) ?? '') + String(delta.partial_json ?? ''));
            return;
          default:
            // A delta added later: the message cannot be told whole.
            break;
        }
        break;
      }
      case 'content_block_stop': {
        const block = message?.content[index];
        if (!block) break;
        const json = this.#inputs.get(index);
        if (json !== undefined && json !== '') {
          try {
            block['input'] = JSON.parse(json);
          } catch {
            break;
          }
        }
        return;
      }
      case 'message_delta':
        if (!message) break;
        message['stop_reason'] = event.delta?.stop_reason ?? null;
        message['stop_sequence'] = event.delta?.stop_sequence ?? null;
        if (event.delta?.stop_details !== undefined) message['stop_details'] = event.delta.stop_details;
        for (const [key, value] of Object.entries(event.usage ?? {})) {
          if (value !== null && value !== undefined) {
            message['usage'] = { ...(message['usage'] as Record<string, unknown>), [key]: value };
          }
        }
        return;
      case 'message_stop':
        if (!message) break;
        this.#stopped = true;
        return;
      default:
        // ping, and events that change nothing of the message.
        return;
    }
    this.#broken = true;
  }

  /** The whole message, once `message_stop` came and every event was read; else undefined. */
  message(): Record<string, unknown> | undefined {
    return this.#stopped && !this.#broken ? this.#message : undefined;
  }
}
