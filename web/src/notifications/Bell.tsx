import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import type { KeyboardEvent } from "react";
import { Link } from "react-router-dom";

import { errorMessage } from "../api/client";
import { useNotificationList, type Notification } from "./cache";
import { statusText, useNotifications } from "./context";
import { useOpenNotification, tone } from "./open";
import { absoluteTime, relativeTime, useNow } from "./time";
import { BellIcon } from "../components/BellIcon";
import "./notifications.css";

const PANEL_ID = "bell-panel";

export function unreadBadge(count: number): string {
  return count > 99 ? "99+" : String(count);
}

/** The header's notification bell with the live unread badge and its dropdown panel. */
export function Bell() {
  const { unreadCount, status } = useNotifications();
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const root = useRef<HTMLDivElement>(null);
  const count = unreadCount ?? 0;
  const name = count === 0 ? "Notifications, no unread" : `Notifications, ${count} unread`;

  // A click outside closes the panel (focus stays where the user clicked).
  useEffect(() => {
    if (!open) return;
    const onPointer = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onPointer);
    return () => document.removeEventListener("mousedown", onPointer);
  }, [open]);

  function close(returnFocus: boolean) {
    setOpen(false);
    if (returnFocus) button.current?.focus();
  }

  return (
    <div className="bell" ref={root}>
      <button
        ref={button}
        type="button"
        className={`icon-button bell-button conn-${status}`}
        aria-label={name}
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-controls={open ? PANEL_ID : undefined}
        aria-describedby="bell-connection"
        title={status === "open" ? undefined : statusText(status)}
        onClick={() => setOpen((was) => !was)}
      >
        <BellIcon />
        {count > 0 && (
          <span className="bell-badge" aria-hidden="true" data-testid="bell-badge">
            {unreadBadge(count)}
          </span>
        )}
        {status !== "open" && <span className="bell-conn-dot" aria-hidden="true" />}
      </button>
      <span id="bell-connection" className="visually-hidden">
        {statusText(status)}
      </span>
      {open && <BellPanel onClose={close} />}
    </div>
  );
}

function BellPanel({ onClose }: { onClose(returnFocus: boolean): void }) {
  const queryClient = useQueryClient();
  const { unreadCount, status, markRead, markUnread, markAllRead, reconnect } = useNotifications();
  const list = useNotificationList({ limit: 8 }, queryClient);
  const openNotification = useOpenNotification();
  const now = useNow();
  const panel = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const items = list.data?.pages[0]?.items ?? [];
  const focusedOnce = useRef(false);

  // Focus moves into the panel: the first notification once loaded, else the panel itself.
  useEffect(() => {
    if (focusedOnce.current) return;
    const first = panel.current?.querySelector<HTMLElement>("[data-item]");
    if (first) {
      first.focus();
      focusedOnce.current = true;
    } else if (!panel.current?.contains(document.activeElement)) {
      panel.current?.focus();
    }
  }, [items.length]);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onClose(true);
      return;
    }
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const rows = Array.from(panel.current?.querySelectorAll<HTMLElement>("[data-item]") ?? []);
    if (rows.length === 0) return;
    event.preventDefault();
    const active = document.activeElement as HTMLElement | null;
    const current = rows.findIndex((row) => row.closest("li")?.contains(active));
    let next: number;
    if (event.key === "Home") next = 0;
    else if (event.key === "End") next = rows.length - 1;
    else if (current < 0) next = event.key === "ArrowDown" ? 0 : rows.length - 1;
    else next = (current + (event.key === "ArrowDown" ? 1 : -1) + rows.length) % rows.length;
    rows[next].focus();
    focusedOnce.current = true;
  }

  async function run(action: () => Promise<void>) {
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  return (
    <div
      id={PANEL_ID}
      ref={panel}
      className="bell-panel"
      role="dialog"
      aria-label="Notifications"
      tabIndex={-1}
      onKeyDown={onKeyDown}
    >
      <div className="bell-panel-header">
        <h2>Notifications</h2>
        <span className={`conn conn-${status}`}>
          <span className="conn-dot" aria-hidden="true" />
          {statusText(status)}
          {(status === "reconnecting" || status === "offline") && (
            <button type="button" className="small ghost" onClick={reconnect}>
              Retry now
            </button>
          )}
        </span>
        <button
          type="button"
          className="small"
          disabled={!unreadCount}
          onClick={() => void run(markAllRead)}
        >
          Mark all read
        </button>
      </div>
      {error && (
        <p className="form-error bell-error" role="alert">
          {error}
        </p>
      )}
      {list.isPending ? (
        <p className="bell-empty" aria-busy="true">
          Loading…
        </p>
      ) : list.isError ? (
        <div className="bell-empty" role="alert">
          Could not load notifications: {errorMessage(list.error)}{" "}
          <button type="button" className="small" onClick={() => void list.refetch()}>
            Retry
          </button>
        </div>
      ) : items.length === 0 ? (
        <p className="bell-empty">You're all caught up: no notifications yet.</p>
      ) : (
        <ul className="bell-list" aria-label="Latest notifications">
          {items.map((n) => (
            <BellItem
              key={n.id}
              n={n}
              now={now}
              onOpen={() => {
                onClose(false);
                openNotification(n);
              }}
              onToggle={() => void run(() => (n.read ? markUnread(n.id) : markRead([n.id])))}
            />
          ))}
        </ul>
      )}
      <div className="bell-panel-footer">
        <Link to="/notifications" onClick={() => onClose(false)}>
          View all
        </Link>
        <small className="muted">↑↓ to move · Esc to close</small>
      </div>
    </div>
  );
}

function BellItem({
  n,
  now,
  onOpen,
  onToggle,
}: {
  n: Notification;
  now: number;
  onOpen(): void;
  onToggle(): void;
}) {
  return (
    <li className={`bell-item tone-${tone(n.type)}${n.read ? "" : " unread"}`}>
      <button type="button" className="bell-item-main" data-item onClick={onOpen}>
        <span className="bell-item-title">
          {!n.read && <span className="visually-hidden">Unread: </span>}
          {n.title}
        </span>
        {n.message && <span className="bell-item-message">{n.message}</span>}
        <span className="bell-item-meta">
          <span className={`badge ${tone(n.type)}`}>{n.type}</span>
          {n.priority !== "normal" && <span className={`badge ${n.priority}`}>{n.priority}</span>}
          <time dateTime={n.created_at} title={absoluteTime(n.created_at)}>
            {relativeTime(n.created_at, now)}
          </time>
        </span>
      </button>
      <button
        type="button"
        className="small ghost bell-item-toggle"
        aria-label={`${n.read ? "Mark unread" : "Mark read"}: ${n.title}`}
        title={n.read ? "Mark unread" : "Mark read"}
        onClick={onToggle}
      >
        {n.read ? "Mark unread" : "Mark read"}
      </button>
    </li>
  );
}
