/**
 * Loaded into a measured process (`--import`, the gateway and the floor) when BENCH_HEAP_PROBE names a
 * file: each SIGUSR2 appends one JSON line with the V8 heap figures since the previous signal, so the
 * benchmark marks the start and the end of a run with two signals and reads the second line
 * (`HeapWindow` in bench-processes.ts).
 *
 * - `allocatedBytes`: how much the heap grew between collections, summed (`v8.GCProfiler` gives the
 *   heap in use before and after each collection): the bytes allocated in the window, give or take
 *   what concurrent sweeping frees between two collections.
 * - `meanHeapUsedBytes`: the heap in use, sampled every 50 ms, mean.
 * - `gcMs`: the time the collections took on the main thread, and `collections` their number.
 *
 * Plain JavaScript on purpose: a TypeScript file would make Node load its type stripper into the
 * measured process, which alone adds 15–25 MB of RSS.
 */
import { appendFileSync } from 'node:fs';
import { setInterval } from 'node:timers';
import { GCProfiler, getHeapStatistics } from 'node:v8';

const file = process.env['BENCH_HEAP_PROBE'];
if (file) {
  let profiler = new GCProfiler();
  profiler.start();
  let since = getHeapStatistics().used_heap_size;
  let samples = 0;
  let sum = 0;
  let sequence = 0;
  const sample = () => {
    const used = getHeapStatistics().used_heap_size;
    samples++;
    sum += used;
  };
  setInterval(sample, 50).unref();
  process.on('SIGUSR2', () => {
    const result = profiler.stop();
    profiler = new GCProfiler();
    profiler.start();
    const now = getHeapStatistics().used_heap_size;
    sample();
    let allocated = 0;
    let gcMicroseconds = 0;
    let last = since;
    for (const collection of result.statistics) {
      allocated += Math.max(0, collection.beforeGC.heapStatistics.usedHeapSize - last);
      last = collection.afterGC.heapStatistics.usedHeapSize;
      gcMicroseconds += collection.cost;
    }
    allocated += Math.max(0, now - last);
    const window = {
      sequence: sequence++,
      allocatedBytes: allocated,
      meanHeapUsedBytes: sum / samples,
      gcMs: gcMicroseconds / 1000,
      collections: result.statistics.length,
    };
    appendFileSync(file, `${JSON.stringify(window)}\n`);
    since = now;
    samples = 0;
    sum = 0;
  });
}
