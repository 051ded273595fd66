// The editor's positions: follows the server's layout, saves a changed arrangement (the whole
// of it) with a debounced PUT /layout, and rolls back with the server's message on a refusal.
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { api, errorMessage, unwrap } from "../api/client";
import { type Layout } from "./api";
import { dashboardKeys } from "./keys";
import { changedIds, layoutBody, type Box } from "./layout";

export type SaveState = "idle" | "pending" | "saving" | "saved" | "error";

const DEBOUNCE_MS = 400;

function fromLayout(layout: Layout): Map<number, Box> {
  return new Map(layout.widgets.map((w) => [w.id, { ...w.position }]));
}

export function useArrangement(layout: Layout) {
  const queryClient = useQueryClient();
  const saved = useMemo(() => fromLayout(layout), [layout]);
  const [arrangement, setArrangement] = useState(saved);
  const [state, setState] = useState<SaveState>("idle");
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<number | null>(null);
  const pending = useRef<Map<number, Box> | null>(null);
  const savedRef = useRef(saved);
  savedRef.current = saved;
  const current = useRef(arrangement);
  current.current = arrangement;

  // The server's layout changed (a widget added or removed, a save answered): follow it unless
  // the user has moves waiting to be saved.
  useEffect(() => {
    if (pending.current === null) setArrangement(saved);
  }, [saved]);

  const save = useCallback(async () => {
    const next = pending.current;
    if (timer.current !== null) window.clearTimeout(timer.current);
    timer.current = null;
    if (!next) return;
    pending.current = null;
    if (changedIds(savedRef.current, next).length === 0) {
      setState("idle");
      return;
    }
    setState("saving");
    try {
      const answer = await unwrap(
        api.PUT("/api/dashboards/{layout_id}/layout", {
          params: { path: { layout_id: layout.id } },
          body: layoutBody(next),
        }),
      );
      queryClient.setQueryData(dashboardKeys.layout(layout.id), answer);
      setState("saved");
      setError(null);
    } catch (err) {
      // Nothing moved on the server: show its reason and put the widgets back.
      setError(errorMessage(err));
      setState("error");
      setArrangement(savedRef.current);
    }
  }, [layout.id, queryClient]);

  const arrange = useCallback(
    (next: Map<number, Box>) => {
      if (changedIds(current.current, next).length === 0) return;
      current.current = next;
      pending.current = next;
      setArrangement(next);
      setState("pending");
      setError(null);
      if (timer.current !== null) window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => void save(), DEBOUNCE_MS);
    },
    [save],
  );

  // Leaving the page saves what is waiting.
  useEffect(
    () => () => {
      if (pending.current) void save();
    },
    [save],
  );

  return { arrangement, arrange, flush: save, state, error, dismissError: () => setError(null) };
}
