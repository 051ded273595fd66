import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import type { FormEvent } from "react";

import { api, errorMessage, unwrap, type Schemas } from "../api/client";
import {
  DELIVERY_CHANNELS,
  DELIVERY_STATUSES,
  type DeliveryChannel,
  type DeliveryStatus,
} from "../api/enums";
import { QueryStatus } from "../components/QueryStatus";
import { formatDate } from "../components/dates";
import { TableWrap } from "../components/TableWrap";
import { adminKeys } from "./keys";

type Delivery = Schemas["DeliveryOut"];
const RETRYABLE = new Set(["dead", "retrying", "cancelled"]);

function statusBadge(status: string): string {
  if (status === "succeeded") return "success";
  if (status === "dead") return "error";
  if (status === "retrying" || status === "pending" || status === "running") return "warning";
  return "";
}

function Attempts({ delivery }: { delivery: Delivery }) {
  if (!delivery.attempt_log.length) return <p className="muted">No attempt yet.</p>;
  return (
    <ol className="timeline" aria-label={`Attempts of delivery ${delivery.id}`}>
      {delivery.attempt_log.map((attempt, i) => {
        const ok = attempt.outcome === "succeeded" || attempt.ok === true;
        return (
          <li key={i} className={ok ? "ok" : "failed"}>
            <strong>#{i + 1}</strong> {formatDate(String(attempt.at ?? attempt.started_at ?? ""))} —{" "}
            {String(attempt.outcome ?? (ok ? "ok" : "failed"))}
            {attempt.duration_ms !== undefined && (
              <small> · {String(attempt.duration_ms)} ms</small>
            )}
            {Boolean(attempt.error) && <div className="field-error">{String(attempt.error)}</div>}
          </li>
        );
      })}
    </ol>
  );
}

/** Every delivery of one notification, in order, with their attempts. */
function Timeline({ notificationId }: { notificationId: number }) {
  const timeline = useQuery({
    queryKey: adminKeys.deliveryTimeline(notificationId),
    queryFn: () =>
      unwrap(
        api.GET("/api/notifications/{notification_id}/deliveries", {
          params: { path: { notification_id: notificationId } },
        }),
      ),
  });
  return (
    <section className="card" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Delivery timeline of notification #{notificationId}</h2>
      <QueryStatus isPending={timeline.isPending} error={timeline.error} label="the timeline" />
      {timeline.data?.length === 0 && (
        <p className="empty">This notification had no external delivery.</p>
      )}
      {timeline.data?.map((d) => (
        <div key={d.id} className="stack timeline-item">
          <p>
            <strong>
              {d.channel_type}
              {d.channel_id ? ` #${d.channel_id}` : ""}
            </strong>{" "}
            <span className={`badge ${statusBadge(d.status)}`}>{d.status}</span> · created{" "}
            {formatDate(d.created_at)} · attempts {d.attempts}/{d.max_attempts}
            {d.completed_at && <> · finished {formatDate(d.completed_at)}</>}
          </p>
          <Attempts delivery={d} />
        </div>
      ))}
    </section>
  );
}

export function DeliveriesAdmin() {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<DeliveryStatus | "">("dead");
  const [channelType, setChannelType] = useState<DeliveryChannel | "">("");
  const [expanded, setExpanded] = useState<number | null>(null);
  const [lookup, setLookup] = useState("");
  const [timelineOf, setTimelineOf] = useState<number | null>(null);
  const list = useInfiniteQuery({
    queryKey: adminKeys.deliveryList(status, channelType),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/notifications/deliveries", {
          params: {
            query: {
              status: status || undefined,
              channel_type: channelType || undefined,
              limit: 50,
              cursor: pageParam ?? undefined,
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
  });
  const retry = useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.POST("/api/notifications/deliveries/{delivery_id}/retry", {
          params: { path: { delivery_id: id } },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: adminKeys.deliveries }),
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const showTimeline = (event: FormEvent) => {
    event.preventDefault();
    const id = Number(lookup);
    if (Number.isInteger(id) && id > 0) setTimelineOf(id);
  };
  return (
    <section className="page stack">
      <div className="page-header">
        <h1>Deliveries</h1>
      </div>
      <div className="toolbar">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as DeliveryStatus | "")}>
            <option value="">Any status</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === "dead" ? "dead (dead letters)" : s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Channel kind
          <select
            value={channelType}
            onChange={(e) => setChannelType(e.target.value as DeliveryChannel | "")}
          >
            <option value="">Any kind</option>
            {DELIVERY_CHANNELS.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <form onSubmit={showTimeline} className="toolbar lookup">
          <label>
            Notification id
            <input
              inputMode="numeric"
              value={lookup}
              onChange={(e) => setLookup(e.target.value)}
              placeholder="e.g. 42"
            />
          </label>
          <button type="submit" disabled={!/^\d+$/.test(lookup)}>
            Show timeline
          </button>
        </form>
      </div>
      {timelineOf !== null && <Timeline notificationId={timelineOf} />}
      <QueryStatus isPending={list.isPending} error={list.error} label="deliveries" />
      {retry.error && (
        <p className="notice error" role="alert">
          Retry failed: {errorMessage(retry.error)}
        </p>
      )}
      {list.data && rows.length === 0 && (
        <p className="empty">
          {status === "dead"
            ? "No dead letters — every delivery got through or is still trying."
            : "No delivery matches."}
        </p>
      )}
      {rows.length > 0 && (
        <TableWrap>
          <table aria-label="Deliveries">
            <thead>
              <tr>
                <th>Id</th>
                <th>Channel</th>
                <th>Notification</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Last error</th>
                <th>Next / finished</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <Fragment key={d.id}>
                  <tr>
                    <td>{d.id}</td>
                    <td>
                      {d.channel_type}
                      {d.channel_id ? ` #${d.channel_id}` : ""}
                    </td>
                    <td>
                      {d.notification_id ? (
                        <button
                          type="button"
                          className="small ghost"
                          onClick={() => setTimelineOf(d.notification_id!)}
                        >
                          #{d.notification_id} timeline
                        </button>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>
                      <span className={`badge ${statusBadge(d.status)}`}>{d.status}</span>
                    </td>
                    <td>
                      {d.attempts}/{d.max_attempts}
                    </td>
                    <td className="error-cell">
                      {d.last_error ? (
                        <small className="field-error">{d.last_error}</small>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>{formatDate(d.completed_at ?? d.run_at)}</td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="small"
                        aria-expanded={expanded === d.id}
                        aria-label={`Attempts of delivery ${d.id}`}
                        onClick={() => setExpanded(expanded === d.id ? null : d.id)}
                      >
                        Attempts
                      </button>
                      {RETRYABLE.has(d.status) && (
                        <button
                          type="button"
                          className="small primary"
                          aria-label={`Retry delivery ${d.id}`}
                          disabled={retry.isPending && retry.variables === d.id}
                          onClick={() => retry.mutate(d.id)}
                        >
                          Retry
                        </button>
                      )}
                    </td>
                  </tr>
                  {expanded === d.id && (
                    <tr>
                      <td colSpan={8}>
                        <Attempts delivery={d} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {list.hasNextPage && (
        <div className="pager">
          <button
            type="button"
            onClick={() => void list.fetchNextPage()}
            disabled={list.isFetchingNextPage}
          >
            {list.isFetchingNextPage ? "Loading…" : "Older deliveries"}
          </button>
        </div>
      )}
    </section>
  );
}
