import { useCallback, useEffect, useRef, useState } from "react";
import type { FocusEvent } from "react";
import { useNavigate } from "react-router-dom";

import type { Notification } from "./cache";
import { useNotifications } from "./context";
import { label, tone, useOpenNotification } from "./open";
import "./notifications.css";

export const TOAST_TIMEOUT_MS = 6_000;
export const MAX_TOASTS = 4;
/** Catch-up replays arriving within this window are summed into one toast. */
const SUMMARY_SETTLE_MS = 800;

type Toast =
  | { key: string; kind: "notification"; n: Notification; urgent: boolean }
  | { key: string; kind: "summary"; count: number; urgent: false };

/** Adds a toast, keeping at most MAX_TOASTS: the oldest non-urgent one goes first. */
export function pushToast<T extends { urgent: boolean }>(
  stack: T[],
  toast: T,
  max = MAX_TOASTS,
): T[] {
  const next = [...stack, toast];
  while (next.length > max) {
    const oldest = next.findIndex((t) => !t.urgent);
    next.splice(oldest >= 0 ? oldest : 0, 1);
  }
  return next;
}

function announcement(n: Notification): string {
  const priority = n.priority === "normal" ? "" : `, ${n.priority} priority`;
  return `${label(n.type)} notification${priority}: ${n.title}.${n.message ? ` ${n.message}` : ""}`;
}

/** Live notifications as toasts: coloured by type, urgent ones stay, the others time out. */
export function Toasts() {
  const { subscribe } = useNotifications();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [polite, setPolite] = useState("");
  const [assertive, setAssertive] = useState("");
  const replayed = useRef(0);
  const summaryTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const dismiss = useCallback(
    (key: string) => setToasts((stack) => stack.filter((t) => t.key !== key)),
    [],
  );

  useEffect(() => {
    const unsubscribe = subscribe((event) => {
      if (event.type === "notification") {
        const n = event.notification;
        if (n.read) return; // already seen elsewhere
        if (event.replay) {
          // Caught up after a reconnect: one summary, not a flood.
          replayed.current++;
          clearTimeout(summaryTimer.current);
          summaryTimer.current = setTimeout(() => {
            const count = replayed.current;
            replayed.current = 0;
            const text = `${count} new notification${count === 1 ? "" : "s"} while you were away`;
            setToasts((stack) =>
              pushToast<Toast>(stack, {
                key: `summary-${Date.now()}`,
                kind: "summary",
                count,
                urgent: false,
              }),
            );
            setPolite(text);
          }, SUMMARY_SETTLE_MS);
          return;
        }
        const urgent = n.priority === "urgent";
        setToasts((stack) =>
          pushToast<Toast>(
            stack.filter((t) => !(t.kind === "notification" && t.n.id === n.id)),
            {
              key: `n-${n.id}`,
              kind: "notification",
              n,
              urgent,
            },
          ),
        );
        (urgent ? setAssertive : setPolite)(announcement(n));
      } else if (event.type === "deleted") {
        setToasts((stack) =>
          stack.filter((t) => !(t.kind === "notification" && t.n.id === event.id)),
        );
      } else if (event.type === "updated") {
        setToasts((stack) =>
          stack.map((t) =>
            t.kind === "notification" && t.n.id === event.notification.id
              ? { ...t, n: event.notification }
              : t,
          ),
        );
      }
    });
    return () => {
      unsubscribe();
      clearTimeout(summaryTimer.current);
    };
  }, [subscribe]);

  return (
    <>
      <div
        className="visually-hidden"
        role="status"
        aria-live="polite"
        data-testid="toast-announcer"
      >
        {polite}
      </div>
      <div
        className="visually-hidden"
        aria-live="assertive"
        aria-atomic="true"
        data-testid="toast-announcer-urgent"
      >
        {assertive}
      </div>
      <section className="toasts" aria-label="New notifications">
        {toasts.map((toast) =>
          toast.kind === "notification" ? (
            <NotificationToast key={toast.key} n={toast.n} onDismiss={() => dismiss(toast.key)} />
          ) : (
            <SummaryToast
              key={toast.key}
              count={toast.count}
              onDismiss={() => dismiss(toast.key)}
            />
          ),
        )}
      </section>
    </>
  );
}

/** Runs `onExpire` after TOAST_TIMEOUT_MS of not being hovered or focused (never when `sticky`). */
function useExpiry(sticky: boolean, onExpire: () => void) {
  const [paused, setPaused] = useState(false);
  const remaining = useRef(TOAST_TIMEOUT_MS);
  const expire = useRef(onExpire);
  expire.current = onExpire;
  useEffect(() => {
    if (sticky || paused) return;
    const started = Date.now();
    const timer = setTimeout(() => expire.current(), remaining.current);
    return () => {
      clearTimeout(timer);
      remaining.current = Math.max(1_000, remaining.current - (Date.now() - started));
    };
  }, [sticky, paused]);
  return {
    onMouseEnter: () => setPaused(true),
    onMouseLeave: () => setPaused(false),
    onFocus: () => setPaused(true),
    onBlur: (event: FocusEvent) => {
      if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setPaused(false);
    },
  };
}

function NotificationToast({ n, onDismiss }: { n: Notification; onDismiss(): void }) {
  const urgent = n.priority === "urgent";
  const hover = useExpiry(urgent, onDismiss);
  const open = useOpenNotification();
  const titleId = `toast-title-${n.id}`;
  const activate = () => {
    onDismiss();
    open(n);
  };
  return (
    <article
      className={`toast tone-${tone(n.type)} priority-${n.priority}`}
      aria-labelledby={titleId}
      data-type={n.type}
      data-priority={n.priority}
      {...hover}
      onClick={(event) => {
        if (!(event.target as HTMLElement).closest("button, a")) activate();
      }}
    >
      <div className="toast-head">
        <span className={`badge ${tone(n.type)}`}>{label(n.type)}</span>
        {n.priority !== "normal" && (
          <span className={`badge ${n.priority}`}>{label(n.priority)}</span>
        )}
        <button
          type="button"
          className="ghost small toast-dismiss"
          aria-label={`Dismiss: ${n.title}`}
          onClick={onDismiss}
        >
          ✕
        </button>
      </div>
      <button type="button" className="toast-title" id={titleId} onClick={activate}>
        {n.title}
      </button>
      {n.message && <p className="toast-message">{n.message}</p>}
      {n.action_url && (
        <button type="button" className="small primary toast-action" onClick={activate}>
          {n.action_label || "Open"}
        </button>
      )}
    </article>
  );
}

function SummaryToast({ count, onDismiss }: { count: number; onDismiss(): void }) {
  const hover = useExpiry(false, onDismiss);
  const navigate = useNavigate();
  const activate = () => {
    onDismiss();
    navigate("/notifications");
  };
  return (
    <article className="toast tone-info" aria-label="Missed notifications" {...hover}>
      <div className="toast-head">
        <span className="badge info">Catch-up</span>
        <button
          type="button"
          className="ghost small toast-dismiss"
          aria-label="Dismiss: missed notifications"
          onClick={onDismiss}
        >
          ✕
        </button>
      </div>
      <button type="button" className="toast-title" onClick={activate}>
        {count} new notification{count === 1 ? "" : "s"} while you were away
      </button>
    </article>
  );
}
