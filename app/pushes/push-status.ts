// The statuses of a push, apart from the outbox's SQL so that the admin's pages (browser code) can name them.
export const PUSH_STATUSES = ["queued", "sending", "delivered", "retrying", "failed", "skipped", "cancelled"] as const;
export type PushStatus = (typeof PUSH_STATUSES)[number];
