/**
 * Reads the Prometheus text exposition format (version 0.0.4) into samples, checking each line's
 * syntax as it goes, so a test both validates the format and reads values from it. NaN is accepted
 * in any case, as Prometheus's own parser (Go's ParseFloat) does; prom-client writes `Nan`.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|Nan|nan|\+Inf|-Inf))(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/g;

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not Prometheus text format: ${line}`);
    const labels: Record<string, string> = {};
    const rawLabels = match[2] ?? '';
    let consumed = 0;
    for (const label of rawLabels.matchAll(LABEL)) {
      labels[label[1]!] = label[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      consumed += label[0].length;
    }
    if (consumed !== rawLabels.length) throw new Error(`bad labels: ${line}`);
    samples.push({
      name: match[1]!,
      labels,
      value: match[3]!.toLowerCase() === 'nan' ? Number.NaN : Number(match[3]!.replace('+Inf', 'Infinity')),
    });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include `labels`. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}
