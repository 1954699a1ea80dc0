// The delivery log's filter as it travels in the page's URL (?status=failed,retrying&topic=Order/Receipt&q=%231001)
// and in the "retry all failed" form. Unknown values are dropped: a hand-edited URL shows the log, not an error.
import { z } from "zod";
import { PUSH_STATUSES, type PushStatus } from "../pushes/push-status";
import { NOTICE_TOPICS, type NoticeTopic } from "../pushes/notices";
import { JOINCHAT_TOPICS, type JoinChatTopic } from "../pushes/types";

/** Every topic the log can be filtered on: JoinChat's pushes and the notices. */
export const LOG_TOPICS: readonly (JoinChatTopic | NoticeTopic)[] = [...JOINCHAT_TOPICS, ...NOTICE_TOPICS];

export interface LogFilter {
  status: PushStatus[];
  topic: (JoinChatTopic | NoticeTopic)[];
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
    topic: listOf(search.getAll("topic"), LOG_TOPICS),
    q: (search.get("q") ?? "").trim().slice(0, 100),
  };
}

const stringsOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((x): x is string => typeof x === "string") : typeof value === "string" ? [value] : [];

/** The filter as the "retry all failed" form posts it ({status: [...], topic: [...], q}), as lenient as the URL's. */
export const LogFilterBodySchema = z.object({
  status: z.unknown().transform((value) => listOf(stringsOf(value), PUSH_STATUSES)),
  topic: z.unknown().transform((value) => listOf(stringsOf(value), LOG_TOPICS)),
  q: z.unknown().transform((value) => (typeof value === "string" ? value.trim().slice(0, 100) : "")),
}) satisfies z.ZodType<LogFilter, z.ZodTypeDef, unknown>;

/** The URL's search with the filter replaced (and the page cursor dropped); other parameters stay. */
export function searchWithFilter(current: URLSearchParams, filter: LogFilter): URLSearchParams {
  const next = new URLSearchParams(current);
  for (const key of ["status", "topic", "q", "before", "after"]) next.delete(key);
  if (filter.status.length) next.set("status", filter.status.join(","));
  if (filter.topic.length) next.set("topic", filter.topic.join(","));
  if (filter.q) next.set("q", filter.q);
  return next;
}
