/**
 * The README's examples, run as written against a listening gateway (the fake OpenAI behind it):
 * every curl command of "Use it" and the Node.js SDK example. Only the address changes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { buildTestApp, type TestApp } from '../helpers/build-app.js';

const run = promisify(execFile);
const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
const useIt = readme.slice(
  readme.indexOf('## Use it'),
  readme.indexOf('\n## ', readme.indexOf('## Use it') + 5),
);

function blocks(language: string): string[] {
  return [...useIt.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map(
    (match) => match[1]!,
  );
}

/** Each curl command of the shell blocks, continuation lines joined. */
function curlCommands(): string[] {
  return blocks('sh')
    .flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.trim())
    .filter((line) => line.startsWith('curl '));
}

let upstream: FakeUpstream;
let gateway: TestApp;
let folder: string;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: {
      GATEWAY_API_KEYS: 'my-gateway-key-1',
      OPENAI_API_KEY: 'sk-readme',
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
    },
  });
  await gateway.listen();
  folder = mkdtempSync(join(tmpdir(), 'readme-'));
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('README examples', () => {
  const commands = curlCommands();

  it('has curl examples', () => {
    expect(commands.length).toBeGreaterThanOrEqual(5);
  });

  it.each(commands)('%s', async (command) => {
    for (const [, file] of command.matchAll(/file=@(\S+)/g))
      writeFileSync(join(folder, file!), Buffer.alloc(2048, 7));
    const local = command.replaceAll('http://localhost:8080', gateway.url);
    // --fail-with-body: an HTTP error fails the command; -sS: quiet but for errors.
    const { stdout } = await run('bash', ['-c', local.replace(/^curl /, 'curl --fail-with-body -sS ')], {
      cwd: folder,
    });
    expect(stdout.length + (command.includes('--output') ? 1 : 0)).toBeGreaterThan(0);
  });

  it('runs the Node.js SDK example', async () => {
    const [example] = blocks('js');
    const script = join(PACKAGE_ROOT, `.readme-example-${process.pid}.mjs`);
    writeFileSync(script, example!.replaceAll('http://localhost:8080', gateway.url));
    try {
      const { stdout } = await run(join(PACKAGE_ROOT, 'node_modules', '.bin', 'node'), [script], {
        cwd: PACKAGE_ROOT,
      });
      // The unary answer, then the streamed one, as the fake OpenAI sends them (the gateway asks
      // every stream for its usage, so the fake answers with its include_usage recording).
      expect(stdout).toContain('Hello! How can I help you today? 👋\n');
      expect(stdout).toContain('The answer is 42.');
    } finally {
      rmSync(script, { force: true });
    }
  });
});

describe('README quick start', () => {
  const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('### Providers'));
  const commands = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((match) => match[1]!.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.trim())
    .filter((line) => line.startsWith('curl '));
  let keyless: TestApp;

  beforeAll(async () => {
    // What `npm start` gives a newcomer: no key of any kind, protected mode, the built-in model.
    keyless = await buildTestApp({ env: { GATEWAY_API_KEYS: '' } });
    await keyless.listen();
  });
  afterAll(() => keyless.close());

  it('tries the built-in model with no key of any kind', async () => {
    expect(commands).toHaveLength(1);
    const local = commands[0]!.replaceAll('http://localhost:8080', keyless.url);
    const { stdout } = await run('bash', ['-c', local.replace(/^curl /, 'curl --fail-with-body -sS ')]);
    expect(JSON.parse(stdout).choices[0].message.content).toBe('Hello!');
  });
});
