// Loading and error lines for a query, so no screen is ever blank.
import { errorMessage } from "../api/client";

export function QueryStatus({
  isPending,
  error,
  label,
}: {
  isPending: boolean;
  error: unknown;
  label: string;
}) {
  if (isPending) {
    return (
      <p className="muted" role="status" aria-busy="true">
        Loading {label}…
      </p>
    );
  }
  if (error) {
    return (
      <p className="notice error" role="alert">
        Could not load {label}: {errorMessage(error)}
      </p>
    );
  }
  return null;
}
