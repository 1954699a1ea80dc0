import { afterAll, describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../db/sqlite.server";
import { DeliveryQueueProducer } from "../delivery/bullmq.server";
import { createQueueScheduler } from "../delivery/scheduler.server";
import { checkReadiness } from "./process.server";

// GET /readyz of both processes is this one check (the web's adds its worker, the worker's its deliveries in flight).

const db = openSqliteDatabase(":memory:");
const closed = openSqliteDatabase(":memory:");
// Nothing listens on port 1: the queue's Redis does not answer.
const unreachable = createQueueScheduler(new DeliveryQueueProducer({ url: "redis://127.0.0.1:1", prefix: "readiness-test" }, "test"));

afterAll(async () => {
  await db.close();
  await unreachable.close();
});

describe("checkReadiness", () => {
  it("is ready when the database answers and the process is not stopping", async () => {
    expect(await checkReadiness({ db, stopping: false, report: { worker: "running" } })).toEqual({
      status: 200,
      body: { status: "ready", database: "ok", worker: "running" },
    });
  });

  it("is not ready when the database does not answer, without its error text (logged instead)", async () => {
    await closed.close();
    const answer = await checkReadiness({ db: closed, stopping: false, report: { deliveriesInFlight: "0" } });
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ status: "not ready", deliveriesInFlight: "0" });
    expect(answer.body.database).toBe("unavailable");
    expect(JSON.stringify(answer.body)).not.toMatch(/not open|Error|sqlite/i);
  });

  it("is not ready when the delivery queue does not answer", async () => {
    const answer = await checkReadiness({ db, queue: () => unreachable.check(), stopping: false });
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ status: "not ready", database: "ok" });
    expect(answer.body.queue).toBe("unavailable");
    expect(JSON.stringify(answer.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|redis/i);
  });

  it("says stopping, with 503, while the process stops", async () => {
    expect(await checkReadiness({ db, stopping: true })).toEqual({ status: 503, body: { status: "stopping", database: "ok" } });
  });
});
