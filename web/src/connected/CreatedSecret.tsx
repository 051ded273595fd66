import type { Snippet } from "./snippets";
import { CopyBlock } from "./CopyBlock";

/** A token just made: shown once, with the set-ups that use it, until dismissed. */
export function CreatedSecret({
  title,
  what,
  token,
  snippets,
  onDismiss,
}: {
  title: string;
  what: string;
  token: string;
  snippets: Snippet[];
  onDismiss: () => void;
}) {
  return (
    <div className="notice success stack connected-created" role="status" aria-label={title}>
      <p>
        <strong>{title}</strong>. Copy its {what} now: it is shown only once.
      </p>
      <CopyBlock label={what[0].toUpperCase() + what.slice(1)} text={token} />
      <div className="snippets">
        {snippets.map((s) => (
          <CopyBlock key={s.id} label={s.label} text={s.text} />
        ))}
      </div>
      <div className="form-actions">
        <button type="button" onClick={onDismiss}>
          Done
        </button>
      </div>
    </div>
  );
}
