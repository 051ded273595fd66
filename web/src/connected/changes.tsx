// What the Connected apps lists share: a change that refreshes the page's listing when it
// succeeds, and the confirmation of a removal that shows that change's progress and failure.
import { useMutation, useQueryClient, type UseMutationResult } from "@tanstack/react-query";

import { errorMessage } from "../api/client";
import { ConfirmDialog } from "../components/Dialog";
import { connectedKeys } from "./keys";

/** A mutation of the user's connected apps: `onDone` runs, then the listing is refetched. */
export function useConnectedChange<V, R>(
  mutationFn: (vars: V) => Promise<R>,
  onDone?: (result: R) => void,
): UseMutationResult<R, Error, V> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: (result) => {
      onDone?.(result);
      void queryClient.invalidateQueries({ queryKey: connectedKeys.all });
    },
  });
}

/** Confirm removing `item` (mounted while it is set): it stays open while the removal runs,
 *  with its error; closing clears both. */
export function ConfirmRemoval<T extends { id: number }>({
  item,
  remove,
  onClose,
  title,
  message,
  confirmLabel,
}: {
  item: T | null;
  remove: UseMutationResult<unknown, Error, number>;
  onClose: () => void;
  title: (item: T) => string;
  message: string;
  confirmLabel: string;
}) {
  if (item === null) return null;
  return (
    <ConfirmDialog
      title={title(item)}
      message={message}
      confirmLabel={confirmLabel}
      busy={remove.isPending}
      error={remove.error ? errorMessage(remove.error) : null}
      onConfirm={() => remove.mutate(item.id)}
      onClose={() => {
        remove.reset();
        onClose();
      }}
    />
  );
}
