/**
 * Where a V8 CPU profile (`node --cpu-prof`, a .cpuprofile file) says the time went: self time per
 * function, self time per area (a file of the gateway, a package, a Node internal module, the garbage
 * collector), and inclusive time (callees included) of the gateway's own functions. Pure.
 * @see https://chromedevtools.github.io/devtools-protocol/tot/Profiler/#type-Profile
 */

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
  /** '0' for V8 and Node natives; any other id for a script, generated ones included. */
  scriptId?: string;
}

export interface CpuProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  /** Microseconds. */
  startTime: number;
  endTime: number;
  /** The node on top of the stack at each sample. */
  samples: number[];
  /** Microseconds since the previous sample (the first: since startTime). */
  timeDeltas: number[];
}

export interface FunctionTime {
  functionName: string;
  /** `area:line` (1-based line of the running file, compiled JavaScript for the gateway's own). */
  location: string;
  area: string;
  selfMs: number;
  inclusiveMs: number;
  /** The nearest caller with a source (natives skipped) that spent most of this self time. */
  topCaller: { location: string; functionName: string; selfMs: number } | null;
}

export interface ProfileSummary {
  /** Busy time in the window: every sample but idle ones, ms. */
  busyMs: number;
  idleMs: number;
  functions: FunctionTime[];
  areas: { area: string; selfMs: number }[];
  /** Time with the area anywhere on the stack (what it calls included, natives and all). */
  areasInclusive: { area: string; inclusiveMs: number }[];
}

export interface SummarizeOptions {
  /** The project folder as a file URL prefix (file:///.../), to name the gateway's own files. */
  projectUrl: string;
  /** Leave out samples taken in the first milliseconds (start-up and warm-up). */
  skipFirstMs?: number;
}

/**
 * Names what a frame belongs to: a gateway file, a package, a Node module, WebAssembly, code generated
 * at run time (Ajv validators, compiled serializers: a script without a URL), or V8 and Node natives.
 */
export function areaOf(frame: CallFrame, projectUrl: string): string {
  const { url, functionName } = frame;
  // WebAssembly (undici's HTTP parser is llhttp compiled to it) and the trampolines into and out of it.
  if (url.startsWith('wasm://') || functionName === 'wasm-to-js' || functionName === 'js-to-wasm') {
    return '(wasm)';
  }
  if (url === '') {
    if (functionName.startsWith('(')) return functionName;
    return frame.scriptId !== undefined && frame.scriptId !== '0' && frame.lineNumber >= 0
      ? '(generated code)'
      : '(native)';
  }
  if (url.startsWith('node:')) return url;
  const packageMatch = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (packageMatch) return packageMatch[1]!;
  if (url.startsWith(projectUrl)) {
    // The gateway runs compiled (dist/src/app.js); name the source file it came from.
    return url
      .slice(projectUrl.length)
      .replace(/^dist\//, '')
      .replace(/\.js$/, '.ts');
  }
  return url;
}

/** The gateway's own code: the source folders, not packages, Node or V8. */
export function isOwnArea(area: string): boolean {
  return /^(src|plugins|schemas)\//.test(area);
}

export function summarizeCpuProfile(profile: CpuProfile, options: SummarizeOptions): ProfileSummary {
  const byId = new Map<number, CpuProfileNode>();
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const keyOf = (node: CpuProfileNode) =>
    `${node.callFrame.functionName}|${node.callFrame.url}|${node.callFrame.lineNumber}`;

  // A sample lasts until the next one; the last one gets the mean interval.
  const count = profile.samples.length;
  const durations = new Float64Array(count);
  const stamps = new Float64Array(count);
  let clock = profile.startTime;
  for (let index = 0; index < count; index++) {
    clock += profile.timeDeltas[index] ?? 0;
    stamps[index] = clock;
  }
  for (let index = 0; index < count - 1; index++) durations[index] = stamps[index + 1]! - stamps[index]!;
  if (count > 1) durations[count - 1] = (stamps[count - 1]! - stamps[0]!) / (count - 1);
  const from = profile.startTime + (options.skipFirstMs ?? 0) * 1000;

  const functions = new Map<string, FunctionTime>();
  const areas = new Map<string, number>();
  const areasInclusive = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  const callers = new Map<FunctionTime, Map<FunctionTime, number>>();
  const entry = (node: CpuProfileNode): FunctionTime => {
    const key = keyOf(node);
    let found = functions.get(key);
    if (!found) {
      const area = areaOf(node.callFrame, options.projectUrl);
      found = {
        functionName: node.callFrame.functionName || '(anonymous)',
        location: node.callFrame.url ? `${area}:${node.callFrame.lineNumber + 1}` : area,
        area,
        selfMs: 0,
        inclusiveMs: 0,
        topCaller: null,
      };
      functions.set(key, found);
    }
    return found;
  };
  const parentNode = (node: CpuProfileNode) => byId.get(parentOf.get(node.id) ?? -1);

  for (let index = 0; index < count; index++) {
    if (stamps[index]! < from) continue;
    const duration = durations[index]!;
    const top = byId.get(profile.samples[index]!);
    if (!top) continue;
    if (top.callFrame.functionName === '(idle)') {
      idleUs += duration;
      continue;
    }
    busyUs += duration;
    const own = entry(top);
    own.selfMs += duration / 1000;
    areas.set(own.area, (areas.get(own.area) ?? 0) + duration / 1000);
    let caller = parentNode(top);
    while (caller && caller.callFrame.url === '' && caller.callFrame.functionName !== '(root)') {
      caller = parentNode(caller);
    }
    if (caller && caller.callFrame.functionName !== '(root)') {
      const byCaller = callers.get(own) ?? new Map<FunctionTime, number>();
      const callerEntry = entry(caller);
      byCaller.set(callerEntry, (byCaller.get(callerEntry) ?? 0) + duration / 1000);
      callers.set(own, byCaller);
    }
    const seen = new Set<string>();
    const seenAreas = new Set<string>();
    for (let node: CpuProfileNode | undefined = top; node; node = parentNode(node)) {
      const key = keyOf(node);
      if (seen.has(key)) continue;
      seen.add(key);
      const item = entry(node);
      item.inclusiveMs += duration / 1000;
      if (!seenAreas.has(item.area)) {
        seenAreas.add(item.area);
        areasInclusive.set(item.area, (areasInclusive.get(item.area) ?? 0) + duration / 1000);
      }
    }
  }

  for (const [callee, byCaller] of callers) {
    const [best, selfMs] = [...byCaller].reduce((left, right) => (right[1] > left[1] ? right : left));
    callee.topCaller = { location: best.location, functionName: best.functionName, selfMs };
  }

  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...functions.values()].filter((item) => item.functionName !== '(root)'),
    areas: [...areas.entries()]
      .map(([area, selfMs]) => ({ area, selfMs }))
      .sort((left, right) => right.selfMs - left.selfMs),
    areasInclusive: [...areasInclusive.entries()]
      .filter(([area]) => area !== '(root)')
      .map(([area, inclusiveMs]) => ({ area, inclusiveMs }))
      .sort((left, right) => right.inclusiveMs - left.inclusiveMs),
  };
}

function share(part: number, whole: number): string {
  return whole > 0 ? `${((part * 100) / whole).toFixed(1)}%` : '–';
}

export function renderProfileSummary(summary: ProfileSummary, top = 25): string {
  const bySelf = [...summary.functions].sort((left, right) => right.selfMs - left.selfMs).slice(0, top);
  const ownInclusive = summary.functions
    .filter((item) => isOwnArea(item.area))
    .sort((left, right) => right.inclusiveMs - left.inclusiveMs)
    .slice(0, top);
  const busy = summary.busyMs;
  return [
    `Busy ${busy.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms in the measured window.`,
    '',
    '### Self time by area (file, package, Node module)',
    '',
    '| Area | Self ms | Share |',
    '| --- | ---: | ---: |',
    ...summary.areas
      .slice(0, top)
      .map((item) => `| ${item.area} | ${item.selfMs.toFixed(0)} | ${share(item.selfMs, busy)} |`),
    '',
    '### Time with the area on the stack (callees included)',
    '',
    '| Area | Inclusive ms | Share |',
    '| --- | ---: | ---: |',
    ...summary.areasInclusive
      .slice(0, top)
      .map((item) => `| ${item.area} | ${item.inclusiveMs.toFixed(0)} | ${share(item.inclusiveMs, busy)} |`),
    '',
    '### Self time by function',
    '',
    '| Function | Where | Self ms | Share | Mostly called from |',
    '| --- | --- | ---: | ---: | --- |',
    ...bySelf.map((item) => {
      const caller = item.topCaller
        ? `${item.topCaller.functionName} (${item.topCaller.location}), ${share(item.topCaller.selfMs, item.selfMs)}`
        : '–';
      return `| ${item.functionName} | ${item.location} | ${item.selfMs.toFixed(0)} | ${share(item.selfMs, busy)} | ${caller} |`;
    }),
    '',
    '### The gateway’s own functions, callees included',
    '',
    '| Function | Where | Inclusive ms | Share |',
    '| --- | --- | ---: | ---: |',
    ...ownInclusive.map(
      (item) =>
        `| ${item.functionName} | ${item.location} | ${item.inclusiveMs.toFixed(0)} | ${share(item.inclusiveMs, busy)} |`,
    ),
  ].join('\n');
}
