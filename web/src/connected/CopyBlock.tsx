import { useState } from "react";

/** A labelled piece of text to paste elsewhere (a URL, a snippet, a token) and its copy
 *  button; when the browser refuses the clipboard, the text stays selectable. */
export function CopyBlock({ label, text }: { label: string; text: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="copy-block">
      <div className="copy-block-head">
        <span>{label}</span>
        <button
          type="button"
          className="small"
          aria-label={`${copied ? "Copied" : "Copy"} ${label}`}
          onClick={() => void copy()}
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <pre className="copy-block-text" role="region" aria-label={label} tabIndex={0}>
        {text}
      </pre>
      {copied === false && (
        <small role="alert">Copying was refused: select the text and copy it.</small>
      )}
    </div>
  );
}
