/**
 * What a Claude model can do, by the catalog when it lists the model, else by its name
 * (`claude-<family>-<major>[-<minor>][-<date>]`, or the older `claude-<major>-<minor>-<family>`).
 * @see https://docs.anthropic.com/en/docs/about-claude/models/overview
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#supported-models
 * @see https://docs.anthropic.com/en/docs/build-with-claude/adaptive-thinking
 * @see https://docs.anthropic.com/en/docs/build-with-claude/structured-outputs
 */
import type { Target } from '../../../src/provider.js';
import { forModel, type AnthropicSettings } from './anthropic-options.js';

// claude-sonnet-4-5-20250929, claude-opus-4-1, claude-sonnet-5: family, major, one-digit minor.
const CURRENT_NAME = /^claude-([a-z]+)-(\d+)(?:-(\d)(?=-|$))?/;
// claude-3-7-sonnet-20250219, claude-3-haiku-20240307.
const OLDER_NAME = /^claude-(\d+)(?:-(\d))?-([a-z]+)/;

/** The model generation as a number (`claude-opus-4-1` → 4.1), or undefined for a name not Claude's. */
export function claudeVersion(upstreamModel: string): number | undefined {
  const name = upstreamModel.toLowerCase();
  const older = OLDER_NAME.exec(name);
  if (older) return Number(older[1]) + Number(older[2] ?? 0) / 10;
  const current = CURRENT_NAME.exec(name);
  if (current) return Number(current[2]) + Number(current[3] ?? 0) / 10;
  return undefined;
}

/**
 * Whether the model thinks: the catalog's `reasoning` capability; else Claude 3.7 and later, and
 * any name the gateway cannot read (Anthropic answers for itself if it does not).
 */
export function canThink(target: Target): boolean {
  if (target.model) return target.model.capabilities.includes('reasoning');
  const version = claudeVersion(target.upstreamModel);
  return version === undefined || version >= 3.7;
}

export type ThinkingMode = 'adaptive' | 'budget';

/**
 * How the model is asked to think: `adaptive` (Claude 4.6 and later, where token budgets are
 * deprecated, then refused) or `budget` (earlier models), unless the instance says otherwise.
 */
export function thinkingModeOf(target: Target, settings: AnthropicSettings): ThinkingMode {
  const configured = forModel(settings.thinkingModes, target.model?.id, target.upstreamModel);
  if (configured) return configured;
  const version = claudeVersion(target.upstreamModel);
  return version !== undefined && version >= 4.6 ? 'adaptive' : 'budget';
}

/**
 * Whether the model takes structured outputs (`output_config.format`): the catalog's `json_schema`
 * capability; else Claude 4.5 and later. Others answer JSON through a forced tool.
 */
export function takesStructuredOutput(target: Target): boolean {
  if (target.model) return target.model.capabilities.includes('json_schema');
  const version = claudeVersion(target.upstreamModel);
  return version !== undefined && version >= 4.5;
}
