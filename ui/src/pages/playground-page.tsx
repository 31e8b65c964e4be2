/**
 * The playground: a chat through POST /v1/chat/completions, streamed as it arrives, with what the
 * gateway says of the call in its x-gateway-* headers (the provider that answered, the attempts,
 * the gateway's own overhead), and the same request as curl and SDK code.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { apiBase, apiHeaders, keyForPath, readApiError } from '../api-client.js';
import { buildCurlSnippet, buildJavaScriptSnippet, buildPythonSnippet } from '../build-snippets.js';
import { CodeBlock } from '../components/code-block.js';
import { EmptyState, ErrorMessage } from '../components/status-message.js';
import { formatCount, formatDuration } from '../format.js';
import {
  ServerSentEventParser,
  applyChatStreamData,
  createChatStreamState,
  type ChatStreamState,
} from '../read-chat-stream.js';
import { useSession } from '../session.js';
import { useApi } from '../use-api.js';

interface CallFacts {
  status: number;
  provider: string | null;
  model: string | null;
  attempts: string | null;
  overheadMs: number | null;
  requestId: string | null;
  warnings: string | null;
}

function readFacts(response: Response): CallFacts {
  const overhead = response.headers.get('x-gateway-overhead-ms');
  return {
    status: response.status,
    provider: response.headers.get('x-gateway-provider'),
    model: response.headers.get('x-gateway-model'),
    attempts: response.headers.get('x-gateway-attempts'),
    overheadMs: overhead === null ? null : Number(overhead),
    requestId: response.headers.get('x-request-id'),
    warnings: response.headers.get('x-gateway-warnings'),
  };
}

export function PlaygroundPage() {
  const { keys, locale } = useSession();
  const key = keyForPath(keys, '/v1/chat/completions');
  const models = useApi<{ data: { id: string; type?: string; strategy?: string }[] }>('/v1/models');
  const chatModels = (models.data?.data ?? []).filter(
    (model) => model.strategy || model.type === undefined || model.type === 'chat',
  );
  const [model, setModel] = useState('');
  const [system, setSystem] = useState('');
  const [prompt, setPrompt] = useState('');
  const [stream, setStream] = useState(true);
  const [answer, setAnswer] = useState<ChatStreamState | null>(null);
  const [facts, setFacts] = useState<CallFacts | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [sending, setSending] = useState(false);
  const controller = useRef<AbortController | null>(null);
  const chosen = model || chatModels[0]?.id || '';

  const messages = useMemo(
    () => [
      ...(system.trim() ? [{ role: 'system', content: system }] : []),
      { role: 'user', content: prompt || 'Hello!' },
    ],
    [system, prompt],
  );
  const snippetInput = {
    baseUrl: `${window.location.origin}${apiBase()}`,
    model: chosen || 'MODEL',
    messages,
    stream,
  };

  async function send(event: Event) {
    event.preventDefault();
    if (!chosen || !prompt.trim()) return;
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setSending(true);
    setError(null);
    setFacts(null);
    const state = createChatStreamState();
    setAnswer({ ...state });
    try {
      const response = await fetch(`${apiBase()}/v1/chat/completions`, {
        method: 'POST',
        headers: apiHeaders(key, { 'content-type': 'application/json' }),
        body: JSON.stringify({
          model: chosen,
          messages,
          ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        }),
        signal: abort.signal,
      });
      setFacts(readFacts(response));
      if (!response.ok) throw await readApiError(response);
      if (stream && response.body) {
        const parser = new ServerSentEventParser((data) => applyChatStreamData(state, data));
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
          setAnswer({ ...state });
        }
        parser.end();
        setAnswer({ ...state });
      } else {
        const body = (await response.json()) as {
          model?: string;
          choices?: { message?: { content?: string | null }; finish_reason?: string }[];
          usage?: ChatStreamState['usage'];
        };
        setAnswer({
          ...state,
          text: body.choices?.[0]?.message?.content ?? '',
          model: body.model ?? null,
          finishReason: body.choices?.[0]?.finish_reason ?? null,
          usage: body.usage ?? null,
          done: true,
        });
      }
    } catch (failure) {
      if (!abort.signal.aborted) setError(failure as Error);
    } finally {
      setSending(false);
    }
  }

  return (
    <section aria-labelledby="playground-title">
      <h1 id="playground-title">Playground</h1>
      {models.error ? <ErrorMessage error={models.error} /> : null}
      {models.data && chatModels.length === 0 ? (
        <EmptyState title="No chat model is available to this key">
          Configure a provider (see .env.example) or sign in with a key allowed to call chat models.
        </EmptyState>
      ) : null}
      <form class="playground" onSubmit={send}>
        <label>
          Model
          <select value={chosen} onChange={(event) => setModel(event.currentTarget.value)} name="model">
            {chatModels.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.id}
                {entry.strategy ? ` (${entry.strategy})` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          System prompt (optional)
          <textarea rows={2} value={system} onInput={(event) => setSystem(event.currentTarget.value)} />
        </label>
        <label>
          Message
          <textarea
            rows={4}
            required
            name="message"
            value={prompt}
            onInput={(event) => setPrompt(event.currentTarget.value)}
          />
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={stream}
            onChange={(event) => setStream(event.currentTarget.checked)}
          />
          Stream the answer
        </label>
        <div class="actions">
          <button type="submit" class="primary" disabled={sending || !chosen}>
            {sending ? 'Sending…' : 'Send'}
          </button>
          {sending ? (
            <button type="button" onClick={() => controller.current?.abort()}>
              Stop
            </button>
          ) : null}
        </div>
      </form>

      {error ? <ErrorMessage error={error} /> : null}
      {facts ? (
        <dl class="facts" aria-label="What the gateway did">
          <div>
            <dt>Provider</dt>
            <dd data-fact="provider">{facts.provider ?? '—'}</dd>
          </div>
          <div>
            <dt>Model</dt>
            <dd>{facts.model ?? answer?.model ?? '—'}</dd>
          </div>
          <div>
            <dt>Attempts</dt>
            <dd data-fact="attempts">{facts.attempts ?? '—'}</dd>
          </div>
          <div>
            <dt>Gateway overhead</dt>
            <dd data-fact="overhead">{formatDuration(facts.overheadMs, locale)}</dd>
          </div>
          <div>
            <dt>Request id</dt>
            <dd>{facts.requestId ?? '—'}</dd>
          </div>
          {answer?.usage ? (
            <div>
              <dt>Tokens (prompt + completion)</dt>
              <dd>
                {formatCount(answer.usage.prompt_tokens, locale)} +{' '}
                {formatCount(answer.usage.completion_tokens, locale)}
              </dd>
            </div>
          ) : null}
          {facts.warnings ? (
            <div>
              <dt>Warnings</dt>
              <dd>{facts.warnings}</dd>
            </div>
          ) : null}
        </dl>
      ) : null}
      {answer ? (
        <div class="answer" aria-live="polite" aria-busy={sending}>
          <h2>Answer</h2>
          <p data-answer>{answer.text}</p>
          {answer.error ? <p class="message message-error">{answer.error}</p> : null}
          {answer.finishReason ? <p class="hint">Finish reason: {answer.finishReason}</p> : null}
        </div>
      ) : null}

      <h2>The same request in code</h2>
      <p class="hint">Set GATEWAY_API_KEY in your shell to a key of this gateway first.</p>
      <CodeBlock label="curl" code={buildCurlSnippet(snippetInput)} />
      <CodeBlock label="JavaScript (openai)" code={buildJavaScriptSnippet(snippetInput)} />
      <CodeBlock label="Python (openai)" code={buildPythonSnippet(snippetInput)} />
    </section>
  );
}
