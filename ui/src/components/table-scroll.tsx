/**
 * A wide table's scrolling box: focusable and named, so a keyboard can scroll it at 390 px.
 * @see https://dequeuniversity.com/rules/axe/4.10/scrollable-region-focusable
 */
import type { ComponentChildren } from 'preact';

export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
