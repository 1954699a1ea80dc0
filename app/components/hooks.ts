import { useEffect, useRef } from "react";

// Hooks the admin's pages share. React's hooks rules want every value an effect reads among its dependencies; these
// keep an effect running on what it is about (a fetcher's answer, a value that settled) while it reads the latest
// render's callbacks.

/** The latest value, for an effect that must read it without running again when it changes. */
export function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useEffect(() => {
    ref.current = value;
  });
  return ref;
}

/** Calls `onAnswer` once for each answer a fetcher receives, when it is idle again. */
export function useFetcherAnswer<T>(fetcher: { state: string; data: T | undefined }, onAnswer: (data: T) => void): void {
  const latest = useLatest(onAnswer);
  const handled = useRef<T | undefined>(undefined);
  useEffect(() => {
    if (fetcher.state !== "idle" || fetcher.data === undefined || fetcher.data === handled.current) return;
    handled.current = fetcher.data;
    latest.current(fetcher.data);
  }, [fetcher.state, fetcher.data, latest]);
}
