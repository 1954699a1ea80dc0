// Every call of the layer has a deadline (Unix ms by the layer's clock); these keep it.

export const DEADLINE = Symbol("deadline");

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The promise's value, or DEADLINE if it has none by then; the promise itself goes on (others may share it). */
export async function until<T>(promise: Promise<T>, deadline: number, now: () => number): Promise<T | typeof DEADLINE> {
  const ms = deadline - now();
  if (ms <= 0) return DEADLINE;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof DEADLINE>((resolve) => {
    timer = setTimeout(() => resolve(DEADLINE), ms);
    // A deadline alone never keeps a process (the CLI) from exiting.
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
