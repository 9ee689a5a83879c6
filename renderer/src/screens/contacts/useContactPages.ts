// The contacts list's data: pages of the current query's results, fetched as they scroll
// into view and refetched when the hub says the contacts changed.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ContactSummary } from '../../../../main/api/contract';
import { client } from '../../../api';

const PAGE = 200;

/** Pages of the current query's results, fetched as they scroll into view. */
export function useContactPages(query: string) {
  const [total, setTotal] = useState<number | null>(null);
  /** The query whose results are on screen (the list's data-query; the benchmark waits on it). */
  const [shown, setShown] = useState<string | null>(null);
  const [, setVersion] = useState(0);
  const pages = useRef(new Map<number, ContactSummary[]>());
  const inflight = useRef(new Set<number>());
  const gen = useRef(0);
  const range = useRef<[number, number]>([0, 0]);

  const fetchPage = useCallback((page: number, myGen: number) => {
    if (inflight.current.has(page) || pages.current.has(page)) return;
    inflight.current.add(page);
    void client.call('contacts:list', { offset: page * PAGE, limit: PAGE, query }).then((r) => {
      if (myGen !== gen.current) return;
      inflight.current.delete(page);
      if (!r.ok) return;
      pages.current.set(page, r.value.rows);
      setTotal(r.value.total);
      setVersion((v) => v + 1);
    });
  }, [query]);

  const reset = useCallback(() => {
    const myGen = ++gen.current;
    // Keep showing the old rows until the new first page arrives (no flash of empty list).
    const keep = pages.current;
    pages.current = new Map();
    inflight.current = new Set();
    const [a, b] = range.current;
    const firstPage = Math.floor(a / PAGE);
    void client.call('contacts:list', { offset: firstPage * PAGE, limit: PAGE, query }).then((r) => {
      if (myGen !== gen.current) return;
      if (!r.ok) {
        pages.current = keep;
        return;
      }
      pages.current.set(firstPage, r.value.rows);
      setTotal(r.value.total);
      setShown(query);
      setVersion((v) => v + 1);
      for (let pg = firstPage + 1; pg <= Math.floor(b / PAGE); pg++) fetchPage(pg, myGen);
    });
  }, [query, fetchPage]);

  useEffect(() => {
    range.current = [0, 40];
    reset();
  }, [reset]);
  useEffect(() => client.on('hub:changed', (k) => k === 'contacts' && reset()), [reset]);

  const onRange = useCallback(
    (first: number, last: number) => {
      range.current = [first, last];
      for (let pg = Math.floor(first / PAGE); pg <= Math.floor(last / PAGE); pg++) fetchPage(pg, gen.current);
    },
    [fetchPage],
  );
  const row = (i: number): ContactSummary | undefined => pages.current.get(Math.floor(i / PAGE))?.[i % PAGE];
  return { total, row, onRange, shown };
}
