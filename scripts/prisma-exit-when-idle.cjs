// Preloaded into the Prisma CLI by scripts/setup.mjs (`node --require`). Prisma 6.19's schema engine
// (WebAssembly) arms a 10 s timer around the PostgreSQL migration lock and leaves it armed once the lock is
// taken: every `prisma migrate deploy` on PostgreSQL then sits idle for 10 s after its work is done. Timers of
// 5 s and more no longer keep the process alive on their own; open sockets and pending queries still do.
const setTimeoutOriginal = global.setTimeout;
global.setTimeout = function setTimeoutUnrefLong(callback, ms, ...args) {
  const timer = setTimeoutOriginal.call(this, callback, ms, ...args);
  if (typeof ms === "number" && ms >= 5000 && typeof timer?.unref === "function") timer.unref();
  return timer;
};
