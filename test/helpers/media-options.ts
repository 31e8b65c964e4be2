/** The media options of a test: the gateway's defaults, with what the test changes. */
import { Value } from '@sinclair/typebox/value';
import { MediaOptionsSchema, type MediaOptions } from '../../schemas/options.js';

export function mediaOptions(overrides: Partial<MediaOptions> = {}): MediaOptions {
  return { ...(Value.Default(MediaOptionsSchema, {}) as MediaOptions), ...overrides };
}
