import { CopyButton } from './copy-button.js';

export function CodeBlock({ code, label }: { code: string; label: string }) {
  return (
    <figure class="code">
      <figcaption>
        {label} <CopyButton text={code} label={`Copy ${label}`} />
      </figcaption>
      <pre tabIndex={0} aria-label={label}>
        <code>{code}</code>
      </pre>
    </figure>
  );
}
