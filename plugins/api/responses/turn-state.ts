/**
 * What a provider needs back on the next turn, carried through the Responses API.
 *
 * Some providers return opaque state with an assistant turn that the next request must send back
 * unchanged (signed thinking blocks on the message, thought signatures on tool calls). The gateway's
 * chat answer carries it in `extra_content` extension fields, on the message and on each tool call
 * (docs/providers/*.md). A Responses API client has no such fields, but it has the place OpenAI made
 * for exactly this: a reasoning item's `encrypted_content`, which clients that keep their own
 * conversation (`store: false`) send back with the other output items.
 *
 * The gateway writes the turn's extension fields there as base64url JSON behind a version tag. It is
 * not encrypted: it holds only what the provider returned and checks itself (its signatures), and
 * the thinking text is the client's to read anyway. A reasoning item without the tag (OpenAI's own
 * encrypted reasoning) means nothing to another provider and is left out of a translated request.
 * @see https://platform.openai.com/docs/guides/reasoning#encrypted-reasoning-items
 */

const TAG = 'gw-turn-state.v1.';

/** The extension fields of one assistant turn. */
export interface TurnState {
  /** `extra_content` of the assistant message. */
  message?: Record<string, unknown>;
  /** `extra_content` of each tool call, by call id. */
  calls?: Record<string, Record<string, unknown>>;
}

export function isEmptyTurnState(state: TurnState): boolean {
  return state.message === undefined && (state.calls === undefined || Object.keys(state.calls).length === 0);
}

export function encodeTurnState(state: TurnState): string {
  return TAG + Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

/** The state a reasoning item carries, or undefined when it is not the gateway's (or is mangled). */
export function decodeTurnState(encrypted: unknown): TurnState | undefined {
  if (typeof encrypted !== 'string' || !encrypted.startsWith(TAG)) return undefined;
  try {
    const state = JSON.parse(
      Buffer.from(encrypted.slice(TAG.length), 'base64url').toString('utf8'),
    ) as unknown;
    if (state === null || typeof state !== 'object' || Array.isArray(state)) return undefined;
    const { message, calls } = state as Record<string, unknown>;
    const result: TurnState = {};
    if (isObject(message)) result.message = message;
    if (isObject(calls)) {
      result.calls = {};
      for (const [id, extra] of Object.entries(calls)) if (isObject(extra)) result.calls[id] = extra;
    }
    return result;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
