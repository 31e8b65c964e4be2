import { closeSync, openSync, readFileSync, write, writeSync, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineWriter, type LineWriterOptions } from '../../src/line-writer.js';

type FileSystem = NonNullable<LineWriterOptions['fileSystem']>;
type WriteCallback = (error: NodeJS.ErrnoException | null, written: number) => void;

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

/** A file system that takes at most `chunk` bytes a write and refuses every `eagainEvery`-th with EAGAIN. */
function stingyFileSystem(chunk: number, eagainEvery: number) {
  const received: Buffer[] = [];
  let calls = 0;
  const take = (data: Buffer): number => {
    calls++;
    if (calls % eagainEvery === 0) throw errno('EAGAIN');
    const written = Math.min(chunk, data.length);
    received.push(Buffer.from(data.subarray(0, written)));
    return written;
  };
  const fileSystem = {
    write: (
      _fd: number,
      data: Buffer,
      _offset: number,
      _length: number,
      _position: null,
      done: WriteCallback,
    ) => {
      setImmediate(() => {
        try {
          done(null, take(data));
        } catch (error) {
          done(error as NodeJS.ErrnoException, 0);
        }
      });
    },
    writeSync: (_fd: number, data: Buffer) => take(data),
  } as unknown as FileSystem;
  return { fileSystem, text: () => Buffer.concat(received).toString('utf8') };
}

const linesOf = (count: number) =>
  Array.from({ length: count }, (_, index) => `{"n":${index},"text":"${'é€'.repeat(index % 40)}"}\n`);

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('LineWriter', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'line-writer-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('writes every line to a file, in order, in batches', async () => {
    const path = join(folder, 'log');
    const fd = openSync(path, 'w');
    const writes: number[] = [];
    const fileSystem = {
      write: (...args: Parameters<typeof write>) => {
        writes.push(1);
        return write(...args);
      },
      writeSync,
    } as unknown as FileSystem;
    const writer = new LineWriter({ fd, batchChars: 4096, fileSystem });
    const lines = linesOf(5000);
    for (const line of lines) expect(writer.write(line)).toBe(true);
    writer.flush();
    const expected = lines.join('');
    await until(() => readFileSync(path, 'utf8').length === expected.length);
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe(expected);
    expect(writer.dropped).toBe(0);
    // Batches, not a write per line.
    expect(writes.length).toBeGreaterThan(1);
    expect(writes.length).toBeLessThan(lines.length / 10);
  });

  it('finishes partial writes and waits out a full pipe (EAGAIN)', async () => {
    const { fileSystem, text } = stingyFileSystem(1000, 3);
    const writer = new LineWriter({ fd: 99, batchChars: 2000, retryDelayMs: 1, fileSystem });
    const lines = linesOf(2000);
    for (const line of lines) writer.write(line);
    writer.flush();
    const expected = lines.join('');
    await until(() => Buffer.byteLength(text()) === Buffer.byteLength(expected));
    expect(text()).toBe(expected);
    expect(writer.dropped).toBe(0);
  });

  it('drops and counts lines past its bound while the file does not take them, then goes on', async () => {
    const pending: (() => void)[] = [];
    const received: string[] = [];
    const fileSystem = {
      write: (_fd: number, data: Buffer, _o: number, _l: number, _p: null, done: WriteCallback) => {
        pending.push(() => {
          received.push(data.toString('utf8'));
          done(null, data.length);
        });
      },
      writeSync,
    } as unknown as FileSystem;
    const writer = new LineWriter({ fd: 99, batchChars: 10, maxHeldChars: 100, fileSystem });
    const line = `${'x'.repeat(19)}\n`;
    for (let index = 0; index < 10; index++) writer.write(line);
    // One batch of 20 characters is being written; 4 more lines fit in the bound of 100.
    expect(writer.dropped).toBe(5);
    expect(pending).toHaveLength(1);
    pending.shift()!();
    expect(pending).toHaveLength(1);
    pending.shift()!();
    expect(writer.write(line)).toBe(true);
    writer.flush();
    pending.shift()!();
    expect(received.join('')).toBe(line.repeat(6));
  });

  it('counts the lines of a batch the file refuses, and writes the next', async () => {
    let refuse = true;
    const received: string[] = [];
    const fileSystem = {
      write: (_fd: number, data: Buffer, _o: number, _l: number, _p: null, done: WriteCallback) => {
        setImmediate(() => {
          if (refuse) {
            refuse = false;
            done(errno('EPIPE'), 0);
            return;
          }
          received.push(data.toString('utf8'));
          done(null, data.length);
        });
      },
      writeSync,
    } as unknown as FileSystem;
    const writer = new LineWriter({ fd: 99, batchChars: 1_000_000, fileSystem });
    writer.write('a\n');
    writer.write('b\n');
    writer.flush();
    await until(() => writer.dropped === 2);
    writer.write('c\n');
    writer.flush();
    await until(() => received.length === 1);
    expect(received).toEqual(['c\n']);
  });

  it('writes what waits synchronously at exit, through a full pipe', () => {
    const { fileSystem, text } = stingyFileSystem(5, 2);
    const writer = new LineWriter({ fd: 99, fileSystem });
    writer.write('first line\n');
    writer.write('second line, été\n');
    writer.flushSync();
    expect(text()).toBe('first line\nsecond line, été\n');
  });

  it('counts the lines it could not write at exit', () => {
    const fileSystem = {
      write: () => undefined,
      writeSync: () => {
        throw errno('EPIPE');
      },
    } as unknown as FileSystem;
    const writer = new LineWriter({ fd: 99, fileSystem });
    writer.write('first line\n');
    writer.write('second line\n');
    writer.flushSync();
    expect(writer.dropped).toBe(2);
  });

  it('is the stream pino writes to', async () => {
    const { pino } = await import('pino');
    const path = join(folder, 'pino');
    const fd = openSync(path, 'w');
    const writer = new LineWriter({ fd });
    const log = pino({ base: null, timestamp: false }, writer as unknown as WriteStream);
    log.info({ route: '/v1/chat/completions' }, 'done');
    writer.flushSync();
    closeSync(fd);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      level: 30,
      route: '/v1/chat/completions',
      msg: 'done',
    });
  });
});
