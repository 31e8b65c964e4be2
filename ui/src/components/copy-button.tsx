/** Copies text to the clipboard and says so, to screen readers too. */
import { useState } from 'preact/hooks';

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<null | 'copied' | 'failed'>(null);
  return (
    <span class="copy">
      <button
        type="button"
        onClick={() =>
          navigator.clipboard.writeText(text).then(
            () => setCopied('copied'),
            () => setCopied('failed'),
          )
        }
      >
        {label}
      </button>
      <span role="status" class="copy-status">
        {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Copy failed: select the text instead' : ''}
      </span>
    </span>
  );
}
