import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { errorMessage } from "../api/client";
import { NOTIFICATION_TYPES, PRIORITIES } from "../api/enums";
import { useNotificationList, type Notification } from "../notifications/cache";
import type { ListFilters } from "../notifications/keys";
import { statusText, useNotifications } from "../notifications/context";
import { actionTarget, label, tone } from "../notifications/open";
import { absoluteTime, relativeTime, useNow } from "../notifications/time";
import "../notifications/notifications.css";

const PAGE_SIZE = 20;

/** The notification center: every notification, filtered and searched, live. */
export function NotificationsPage() {
  const queryClient = useQueryClient();
  const { unreadCount, status, markAllRead } = useNotifications();
  const [params, setParams] = useSearchParams();
  // The filters answer at once (local state) and are mirrored in the URL (shareable, survive
  // reload).
  const [type, setType] = useState(() => params.get("type") ?? "");
  const [priority, setPriority] = useState(() => params.get("priority") ?? "");
  const [unreadOnly, setUnreadOnly] = useState(() => params.get("unread") === "1");
  const [q, setQ] = useState(() => params.get("q") ?? "");
  const [search, setSearch] = useState(q);
  const [error, setError] = useState<string | null>(null);
  const now = useNow();

  // The search box updates the query once typing pauses.
  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 300);
    return () => clearTimeout(timer);
  }, [search]);

  useEffect(() => {
    const next = new URLSearchParams();
    if (type) next.set("type", type);
    if (priority) next.set("priority", priority);
    if (unreadOnly) next.set("unread", "1");
    if (q) next.set("q", q);
    if (next.toString() !== new URLSearchParams(window.location.search).toString())
      setParams(next, { replace: true });
  }, [type, priority, unreadOnly, q, setParams]);

  const filters = useMemo<ListFilters>(
    () => ({
      limit: PAGE_SIZE,
      ...(type && { type }),
      ...(priority && { priority }),
      ...(unreadOnly && { unreadOnly }),
      ...(q && { q }),
    }),
    [type, priority, unreadOnly, q],
  );
  const filtered = Boolean(type || priority || unreadOnly || q);
  const list = useNotificationList(filters, queryClient);
  const items = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  // Infinite scroll: load the next page when the end of the list comes into view.
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    const target = sentinel.current;
    if (!target || !hasNextPage) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting) && !isFetchingNextPage)
          void fetchNextPage();
      },
      { rootMargin: "300px" },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  async function onMarkAll() {
    setError(null);
    try {
      await markAllRead();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  return (
    <section className="page notification-center">
      <div className="page-header">
        <div>
          <h1>Notifications</h1>
          <p className="muted center-summary">
            {unreadCount === null ? "…" : unreadCount === 0 ? "All read" : `${unreadCount} unread`}
            <span className={`conn conn-${status}`}>
              <span className="conn-dot" aria-hidden="true" />
              {statusText(status)}
            </span>
          </p>
        </div>
        <div className="toolbar">
          <button type="button" onClick={() => void onMarkAll()} disabled={!unreadCount}>
            Mark all read
          </button>
          <Link className="button" to="/preferences">
            Preferences
          </Link>
        </div>
      </div>

      <form
        className="card center-filters"
        role="search"
        aria-label="Filter notifications"
        onSubmit={(e) => e.preventDefault()}
      >
        <label className="center-search">
          Search
          <input
            type="search"
            value={search}
            placeholder="Title or message"
            maxLength={200}
            onChange={(e) => setSearch(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") setQ(search.trim());
            }}
          />
        </label>
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">All types</option>
            {NOTIFICATION_TYPES.map((t) => (
              <option key={t} value={t}>
                {label(t)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select value={priority} onChange={(e) => setPriority(e.target.value)}>
            <option value="">All priorities</option>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {label(p)}
              </option>
            ))}
          </select>
        </label>
        <label className="inline center-unread">
          <input
            type="checkbox"
            checked={unreadOnly}
            onChange={(e) => setUnreadOnly(e.target.checked)}
          />
          Unread only
        </label>
        {filtered && (
          <button
            type="button"
            className="ghost"
            onClick={() => {
              setSearch("");
              setQ("");
              setType("");
              setPriority("");
              setUnreadOnly(false);
            }}
          >
            Clear filters
          </button>
        )}
      </form>

      {error && (
        <p className="notice error" role="alert">
          {error}
        </p>
      )}

      {list.isPending ? (
        <p className="empty" aria-busy="true">
          Loading notifications…
        </p>
      ) : list.isError ? (
        <div className="notice error" role="alert">
          Could not load notifications: {errorMessage(list.error)}{" "}
          <button type="button" className="small" onClick={() => void list.refetch()}>
            Retry
          </button>
        </div>
      ) : items.length === 0 ? (
        <div className="empty card">
          {filtered ? (
            <p>No notifications match these filters.</p>
          ) : (
            <p>
              No notifications yet. <Link to="/demo">Send yourself one</Link> to see how they look.
            </p>
          )}
        </div>
      ) : (
        <ul className="center-list" aria-label="Notifications" aria-busy={list.isFetching}>
          {items.map((n) => (
            <NotificationRow key={n.id} n={n} now={now} />
          ))}
        </ul>
      )}

      <div ref={sentinel} className="center-more">
        {list.hasNextPage && (
          <button
            type="button"
            onClick={() => void list.fetchNextPage()}
            disabled={list.isFetchingNextPage}
          >
            {list.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        )}
        {list.isFetchNextPageError && (
          <p className="form-error" role="alert">
            Could not load more: {errorMessage(list.error)}
          </p>
        )}
        {!list.hasNextPage && items.length > PAGE_SIZE && (
          <p className="muted">That's everything.</p>
        )}
      </div>
    </section>
  );
}

function NotificationRow({ n, now }: { n: Notification; now: number }) {
  const { markRead, markUnread, remove } = useNotifications();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const target = actionTarget(n.action_url);
  const hasData = Object.keys(n.data ?? {}).length > 0;

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  async function run(action: () => Promise<void>) {
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  const markLabel = n.read ? "Mark unread" : "Mark read";
  return (
    <li
      className={`center-item card tone-${tone(n.type)}${n.read ? "" : " unread"}`}
      aria-labelledby={`n-title-${n.id}`}
      data-id={n.id}
    >
      <div className="center-item-head">
        {!n.read && <span className="unread-dot" title="Unread" aria-hidden="true" />}
        <span className={`badge ${tone(n.type)}`}>{label(n.type)}</span>
        <span className={`badge ${n.priority}`}>{label(n.priority)}</span>
        <time dateTime={n.created_at} title={absoluteTime(n.created_at)} className="muted">
          {relativeTime(n.created_at, now)}
        </time>
        {n.source && <small>from {n.source}</small>}
      </div>
      <h2 className="center-item-title" id={`n-title-${n.id}`}>
        {!n.read && <span className="visually-hidden">Unread: </span>}
        {n.title}
      </h2>
      {n.message && <p className="center-item-message">{n.message}</p>}
      {hasData && (
        <details className="center-item-data">
          <summary>Details</summary>
          <pre>{JSON.stringify(n.data, null, 2)}</pre>
        </details>
      )}
      <div className="center-item-actions">
        {target && "internal" in target && (
          <Link
            className="button small primary"
            to={target.internal}
            onClick={() => !n.read && void markRead([n.id]).catch(() => undefined)}
          >
            {n.action_label || "Open"}
          </Link>
        )}
        {target && "external" in target && (
          <a
            className="button small primary"
            href={target.external}
            target="_blank"
            rel="noopener noreferrer"
            onClick={() => !n.read && void markRead([n.id]).catch(() => undefined)}
          >
            {n.action_label || "Open"} <span aria-hidden="true">↗</span>
          </a>
        )}
        <button
          type="button"
          className="small"
          disabled={busy}
          aria-label={`${markLabel}: ${n.title}`}
          onClick={() => void run(() => (n.read ? markUnread(n.id) : markRead([n.id])))}
        >
          {markLabel}
        </button>
        {confirming ? (
          <span className="confirm" role="group" aria-label={`Delete ${n.title}?`}>
            <span>Delete for good?</span>
            <button
              ref={confirmButton}
              type="button"
              className="small danger"
              disabled={busy}
              onClick={() => void run(() => remove(n.id))}
            >
              Yes, delete
            </button>
            <button
              type="button"
              className="small"
              onClick={() => {
                setConfirming(false);
                setTimeout(() => deleteButton.current?.focus());
              }}
              onKeyDown={(e) => e.key === "Escape" && setConfirming(false)}
            >
              Cancel
            </button>
          </span>
        ) : (
          <button
            ref={deleteButton}
            type="button"
            className="small danger ghost"
            aria-label={`Delete: ${n.title}`}
            onClick={() => setConfirming(true)}
          >
            Delete
          </button>
        )}
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
