/**
 * The length in seconds of an audio file read as it passes through the gateway (to a provider that
 * reports none), with music-metadata: the bytes are copied to the parser as they go by, and the
 * parser reads what the format needs (a header, or every frame of an MP3 without one).
 * @see https://github.com/Borewit/music-metadata#options
 */
import { PassThrough } from 'node:stream';
import { loadOnFirstUse } from './load-on-first-use.js';

// The parser and its format readers are loaded with the first file measured.
const loadMusicMetadata = loadOnFirstUse('music-metadata', () => import('music-metadata'));

export interface DurationProbe {
  /** Copies the file's bytes to the parser while `source` is read. */
  watch(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined>;
  /** The length in seconds, or undefined when the format or the file did not tell. */
  readonly duration: Promise<number | undefined>;
  /** Stops parsing (the file will not be read to its end). */
  stop(): void;
}

export function startDurationProbe(mimeType: string): DurationProbe {
  const copy = new PassThrough();
  let done = false;
  // A file the parser cannot read has no length to tell; a parser that cannot be loaded is an error.
  const duration = loadMusicMetadata()
    .then(({ parseStream }) =>
      parseStream(copy, { mimeType }, { duration: true, skipCovers: true }).then(
        (metadata) => {
          const seconds = metadata.format.duration;
          return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
            ? seconds
            : undefined;
        },
        () => undefined,
      ),
    )
    .finally(() => {
      // The parser may need no more than a header: the rest of the file is not copied to it.
      done = true;
      copy.destroy();
    });
  // Not every probe's length is asked for: an unread failure must not end the process.
  duration.catch(() => {});
  const stop = () => {
    done = true;
    copy.destroy();
  };
  return {
    duration,
    stop,
    async *watch(source) {
      let completed = false;
      try {
        for await (const chunk of source) {
          if (!done) copy.write(chunk);
          yield chunk;
        }
        completed = true;
        if (!done) copy.end();
      } finally {
        // A file read only in part has no length to tell.
        if (!completed) stop();
      }
    },
  };
}
