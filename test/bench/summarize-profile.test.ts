import { describe, expect, it } from 'vitest';
import {
  areaOf,
  renderProfileSummary,
  summarizeCpuProfile,
  type CpuProfile,
} from '../../bench/summarize-profile.js';

const PROJECT = 'file:///srv/gateway/';

function frame(functionName: string, url = '', lineNumber = 0) {
  return { functionName, url, lineNumber, columnNumber: 0, scriptId: '0' };
}

// root → handler (ours) → stringify (package) ; root → (garbage collector) ; root → (idle)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
    {
      id: 2,
      callFrame: frame('handler', `${PROJECT}dist/plugins/api/chat-completions.js`, 69),
      children: [3],
    },
    {
      id: 3,
      callFrame: frame('stringify', `${PROJECT}node_modules/fast-json-stable-stringify/index.js`, 18),
    },
    { id: 4, callFrame: frame('(garbage collector)') },
    { id: 5, callFrame: frame('(idle)') },
  ],
  startTime: 1_000_000,
  endTime: 1_010_000,
  // Samples every 1 ms: handler, stringify ×2, GC, idle ×2, handler, stringify.
  samples: [2, 3, 3, 4, 5, 5, 2, 3],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('areaOf', () => {
  const at = (url: string, functionName = 'x', scriptId = '12', lineNumber = 3) =>
    areaOf({ url, functionName, scriptId, lineNumber, columnNumber: 0 }, PROJECT);

  it('names the gateway’s source file, a package, a Node module, generated code, or V8', () => {
    expect(at(`${PROJECT}dist/src/app.js`)).toBe('src/app.ts');
    expect(at(`${PROJECT}node_modules/@fastify/helmet/index.js`)).toBe('@fastify/helmet');
    expect(at(`${PROJECT}node_modules/fastify/lib/hooks.js`)).toBe('fastify');
    expect(at('node:_http_outgoing')).toBe('node:_http_outgoing');
    expect(at('', '(garbage collector)', '0', -1)).toBe('(garbage collector)');
    expect(at('', 'writev', '0', -1)).toBe('(native)');
    expect(at('', 'validate10', '1332', 2)).toBe('(generated code)');
    expect(at('', 'wasm-to-js', '-1', 0)).toBe('(wasm)');
    expect(at('wasm://wasm/00034eea', 'wasm-function[12]', '40', 0)).toBe('(wasm)');
  });
});

describe('summarizeCpuProfile', () => {
  it('adds self time per function and area, inclusive time up the stack, and leaves idle out', () => {
    const summary = summarizeCpuProfile(profile, { projectUrl: PROJECT });
    expect(summary.busyMs).toBe(6);
    expect(summary.idleMs).toBe(2);
    const handler = summary.functions.find((item) => item.functionName === 'handler')!;
    expect(handler).toMatchObject({
      selfMs: 2,
      inclusiveMs: 5,
      location: 'plugins/api/chat-completions.ts:70',
    });
    expect(summary.areas).toEqual([
      { area: 'fast-json-stable-stringify', selfMs: 3 },
      { area: 'plugins/api/chat-completions.ts', selfMs: 2 },
      { area: '(garbage collector)', selfMs: 1 },
    ]);
    expect(summary.areasInclusive).toEqual([
      { area: 'plugins/api/chat-completions.ts', inclusiveMs: 5 },
      { area: 'fast-json-stable-stringify', inclusiveMs: 3 },
      { area: '(garbage collector)', inclusiveMs: 1 },
    ]);
  });

  it('leaves out the samples of the first milliseconds (start-up, warm-up)', () => {
    const summary = summarizeCpuProfile(profile, { projectUrl: PROJECT, skipFirstMs: 6.5 });
    expect(summary.busyMs).toBe(2);
    expect(summary.idleMs).toBe(0);
  });

  it('renders shares of busy time', () => {
    const text = renderProfileSummary(summarizeCpuProfile(profile, { projectUrl: PROJECT }));
    expect(text).toContain('| fast-json-stable-stringify | 3 | 50.0% |');
    expect(text).toContain('| handler | plugins/api/chat-completions.ts:70 | 5 | 83.3% |');
    expect(text).toContain(
      '| stringify | fast-json-stable-stringify:19 | 3 | 50.0% | handler (plugins/api/chat-completions.ts:70), 100.0% |',
    );
  });
});
