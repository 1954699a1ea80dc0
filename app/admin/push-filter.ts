// The delivery log's filter as it travels in the page's URL (?status=failed,retrying&topic=Order/Receipt&q=%231001)
// and in the "retry all failed" form. Unknown values are dropped: a hand-edited URL shows the log, not an error.
import { PUSH_STATUSES, type PushStatus } from "../delivery/push-status";
import { JOINCHAT_TOPICS, type JoinChatTopic } from "../pushes/types";

export interface LogFilter {
  status: PushStatus[];
  topic: JoinChatTopic[];
  /** An order name, with or without the leading #. */
  q: string;
}

function listOf<T extends string>(values: (string | null | undefined)[], allowed: readonly T[]): T[] {
  const out: T[] = [];
  for (const value of values) {
    for (const part of (value ?? "").split(",")) {
      const item = part.trim();
      if ((allowed as readonly string[]).includes(item) && !out.includes(item as T)) out.push(item as T);
    }
  }
  return out;
}

export function logFilterFromSearch(search: URLSearchParams): LogFilter {
  return {
    status: listOf(search.getAll("status"), PUSH_STATUSES),
    topic: listOf(search.getAll("topic"), JOINCHAT_TOPICS),
    q: (search.get("q") ?? "").trim().slice(0, 100),
  };
}

export function logFilterFromBody(body: Record<string, unknown>): LogFilter {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);
  return {
    status: listOf(strings(body.status), PUSH_STATUSES),
    topic: listOf(strings(body.topic), JOINCHAT_TOPICS),
    q: typeof body.q === "string" ? body.q.trim().slice(0, 100) : "",
  };
}

/** The URL's search with the filter replaced (and the page cursor dropped); other parameters stay. */
export function searchWithFilter(current: URLSearchParams, filter: LogFilter): URLSearchParams {
  const next = new URLSearchParams(current);
  for (const key of ["status", "topic", "q", "before", "after"]) next.delete(key);
  if (filter.status.length) next.set("status", filter.status.join(","));
  if (filter.topic.length) next.set("topic", filter.topic.join(","));
  if (filter.q) next.set("q", filter.q);
  return next;
}
