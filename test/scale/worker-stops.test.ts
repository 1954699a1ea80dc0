// A worker process stopping in the middle of deliveries: killed (SIGKILL, its pushes in flight come back when
// their lease runs out and go once), or asked to stop (SIGTERM: it takes no more jobs, lets its deliveries
// finish, or past SHUTDOWN_TIMEOUT_MS puts them back, interrupted, for another worker). Nothing lost, nothing
// doubled at JoinChat.
import { afterEach, describe, expect, it } from "vitest";
import { uniqueShop, waitFor } from "../helpers/app-process";
import { scaleOutAvailable } from "../helpers/backends";
import { deliveriesByWorker, expectEachDeliveredOnce, sendOrders, startScaleStack, statusCounts, waitForAllDelivered, type ScaleStack } from "./support";

describe.skipIf(!scaleOutAvailable)("a worker stopping mid-delivery", () => {
  let stack: ScaleStack | undefined;

  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  async function shops(count: number): Promise<string[]> {
    const list = Array.from({ length: count }, (_, i) => uniqueShop(`stop-${i}`));
    for (const shop of list) await stack!.app.configureShop(shop);
    return list;
  }

  it("SIGKILL: the killed worker's pushes in flight come back after their lease and are delivered once", async () => {
    // JoinChat takes 300 ms to answer: each worker has a dozen pushes in flight when one is killed.
    stack = await startScaleStack({ workers: 3, sandboxDelayMs: 300 });
    const { app } = stack;
    const list = await shops(6);
    await sendOrders(app, (n) => list[n % list.length], 0, 300);
    await waitFor(async () => ((await statusCounts(app)).delivered ?? 0) >= 40, 30_000, "deliveries under way");
    const [victim] = app.workers;
    await waitFor(() => deliveriesByWorker(app)[0] > 0, 10_000, "the first worker to have delivered");
    expect(await victim.kill("SIGKILL")).toBeNull();
    const sendingAtKill = (await statusCounts(app)).sending ?? 0;

    await waitForAllDelivered(app, 300, 60_000);
    await expectEachDeliveredOnce(stack, 300);
    // The attempts cut short by the kill are on record; their pushes went again under the same key.
    const interrupted = await app.db.all<{ push_id: number }>("SELECT push_id FROM push_attempt WHERE outcome = 'interrupted'");
    expect(interrupted.length).toBeGreaterThan(0);
    expect(interrupted.length).toBeLessThanOrEqual(sendingAtKill);
    expect(app.logs()).toMatch(/released pushes whose sender stopped|push released: its sender stopped/);
  });

  it("SIGTERM: the worker takes no more jobs, finishes what it is sending, and exits 0; the others do the rest", async () => {
    stack = await startScaleStack({ workers: 3, sandboxDelayMs: 800 });
    const { app } = stack;
    const list = await shops(8);
    await sendOrders(app, (n) => list[n % list.length], 0, 120);
    const [leaving] = app.workers;
    await waitFor(() => leaving.logs().includes('"msg":"push delivered"'), 20_000, "the first worker to deliver");
    const started = Date.now();
    expect(await leaving.kill("SIGTERM")).toBe(0);
    // It waited for its deliveries (JoinChat answers in 800 ms), not for the whole backlog.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(leaving.logs()).toMatch(/"msg":"worker stopping".*"deliveriesInFlight":[1-9]/);
    expect(leaving.logs()).toContain('"msg":"worker stopped"');
    expect(leaving.logs()).not.toContain("releasing deliveries still in flight");

    await waitForAllDelivered(app, 120, 60_000);
    await expectEachDeliveredOnce(stack, 120);
    expect(await app.db.all("SELECT * FROM push_attempt WHERE outcome = 'interrupted'")).toHaveLength(0);
  });

  it("SIGTERM past SHUTDOWN_TIMEOUT_MS: deliveries still hanging are put back (interrupted) and another worker sends them", async () => {
    stack = await startScaleStack({ workers: 0, env: { JOINCHAT_TIMEOUT_MS: "5000" } });
    const { app, sandbox } = stack;
    const leaving = await app.startWorker({ SHUTDOWN_TIMEOUT_MS: "300" });
    const list = await shops(3);
    // JoinChat hangs: the worker's deliveries wait for its 5 s timeout.
    sandbox.fail({ mode: "timeout", forMs: 60_000 });
    await sendOrders(app, (n) => list[n % list.length], 0, 6);
    await waitFor(async () => (await statusCounts(app)).sending === 6, 10_000, "six deliveries in flight");

    const started = Date.now();
    expect(await leaving.kill("SIGTERM")).toBe(0);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(leaving.logs()).toContain("releasing deliveries still in flight at shutdown");
    expect(await statusCounts(app)).toEqual({ retrying: 6 });
    const interrupted = await app.db.all<{ number: number }>("SELECT number FROM push_attempt WHERE outcome = 'interrupted'");
    expect(interrupted.map((a) => a.number)).toEqual([1, 1, 1, 1, 1, 1]);

    // JoinChat is back; another worker takes the jobs the stopping one added for the next attempt.
    sandbox.clearFaults();
    await app.startWorker();
    await waitForAllDelivered(app, 6, 30_000);
    await expectEachDeliveredOnce(stack, 6);
    expect(await app.db.all("SELECT * FROM push WHERE attempts <> 2")).toHaveLength(0);
  });
});
