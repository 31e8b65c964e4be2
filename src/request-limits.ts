/**
 * The bounds of one chat request, checked before it is routed: how many messages, how many content
 * parts over all of them, and how many media URLs the gateway might have to download for it. A
 * request past one of them is a 400 naming the limit (LIMIT_MESSAGES, LIMIT_CONTENT_PARTS,
 * MEDIA_MAX_FILES_PER_REQUEST); none of it costs a download or a provider call.
 */
import type { ChatCompletionRequest } from '../schemas/chat.js';
import type { LimitsOptions, MediaOptions } from '../schemas/options.js';
import { GatewayError } from './errors.js';

function isRemote(url: unknown): boolean {
  return typeof url === 'string' && (url.startsWith('https://') || url.startsWith('http://'));
}

export function checkChatLimits(
  request: ChatCompletionRequest,
  limits: LimitsOptions,
  media: Pick<MediaOptions, 'maxFilesPerRequest'>,
): void {
  if (request.messages.length > limits.messages) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: `'messages' holds ${request.messages.length} messages; this gateway takes at most ${limits.messages} (LIMIT_MESSAGES).`,
      param: 'messages',
      code: 'array_above_max_length',
    });
  }
  let parts = 0;
  let remote = 0;
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    parts += content.length;
    for (const part of content as {
      type?: string;
      image_url?: { url?: unknown };
      file?: { file_url?: unknown };
    }[]) {
      if (part?.type === 'image_url' && isRemote(part.image_url?.url)) remote++;
      else if (part?.type === 'file' && isRemote(part.file?.file_url)) remote++;
    }
  }
  if (parts > limits.contentParts) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: `The messages hold ${parts} content parts; this gateway takes at most ${limits.contentParts} in one request (LIMIT_CONTENT_PARTS).`,
      param: 'messages',
      code: 'array_above_max_length',
    });
  }
  if (remote > media.maxFilesPerRequest) {
    throw new GatewayError('GW_ERR_MEDIA_TOO_MANY', {
      message: `The messages name ${remote} media URLs; this gateway takes at most ${media.maxFilesPerRequest} in one request (MEDIA_MAX_FILES_PER_REQUEST). Send the others inline as data: URIs, or in several requests.`,
      param: 'messages',
    });
  }
}
