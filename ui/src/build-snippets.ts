/**
 * The code that makes the playground's request outside the dashboard: curl, and the OpenAI SDKs
 * for JavaScript and Python pointed at the gateway. The key is always a variable of the reader's
 * shell, never the signed-in key: a snippet is meant to be copied and shared.
 */

export interface ChatSnippetInput {
  /** The gateway's origin and prefix, e.g. http://localhost:8080 */
  baseUrl: string;
  model: string;
  messages: { role: string; content: string }[];
  stream: boolean;
}

export const KEY_VARIABLE = 'GATEWAY_API_KEY';

/** A string as a single-quoted shell word ('it'\''s'). */
export function quoteForShell(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function requestBody(input: ChatSnippetInput): Record<string, unknown> {
  return { model: input.model, messages: input.messages, ...(input.stream ? { stream: true } : {}) };
}

export function buildCurlSnippet(input: ChatSnippetInput): string {
  return [
    `curl ${input.stream ? '-N ' : ''}${quoteForShell(`${input.baseUrl}/v1/chat/completions`)} \\`,
    `  -H "Authorization: Bearer $${KEY_VARIABLE}" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${quoteForShell(JSON.stringify(requestBody(input)))}`,
  ].join('\n');
}

export function buildJavaScriptSnippet(input: ChatSnippetInput): string {
  const lines = [
    "import OpenAI from 'openai';",
    '',
    `const client = new OpenAI({ baseURL: ${JSON.stringify(`${input.baseUrl}/v1`)}, apiKey: process.env.${KEY_VARIABLE} });`,
    'const answer = await client.chat.completions.create({',
    `  model: ${JSON.stringify(input.model)},`,
    `  messages: ${JSON.stringify(input.messages)},`,
  ];
  if (input.stream) {
    lines.push(
      '  stream: true,',
      '});',
      'for await (const chunk of answer) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");',
    );
  } else {
    lines.push('});', 'console.log(answer.choices[0].message.content);');
  }
  return lines.join('\n');
}

/** Python literals for JSON values (true → True, null → None), for the messages list. */
function toPythonLiteral(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `[${value.map(toPythonLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${JSON.stringify(key)}: ${toPythonLiteral(item)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

export function buildPythonSnippet(input: ChatSnippetInput): string {
  const lines = [
    'import os',
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url=${JSON.stringify(`${input.baseUrl}/v1`)}, api_key=os.environ[${JSON.stringify(KEY_VARIABLE)}])`,
    'answer = client.chat.completions.create(',
    `    model=${JSON.stringify(input.model)},`,
    `    messages=${toPythonLiteral(input.messages)},`,
  ];
  if (input.stream) {
    lines.push(
      '    stream=True,',
      ')',
      'for chunk in answer:',
      '    if chunk.choices:',
      '        print(chunk.choices[0].delta.content or "", end="")',
    );
  } else {
    lines.push(')', 'print(answer.choices[0].message.content)');
  }
  return lines.join('\n');
}
