// A windowed list: only the rows in view (plus a few) exist in the DOM, so 100,000 contacts
// scroll like 100. Fixed row height keeps the arithmetic O(1). It is a listbox: one tab stop,
// arrows/Page/Home/End move the active row (aria-activedescendant), Enter opens it.
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export interface VirtualListProps {
  total: number;
  rowHeight: number;
  label: string;
  active: number;
  onActive: (index: number) => void;
  onOpen: (index: number) => void;
  /** The rows in view changed (first and last index, inclusive). */
  onRange: (first: number, last: number) => void;
  renderRow: (index: number) => ReactNode;
  /** A row's accessible name where its content cannot give one (a row still loading);
   *  undefined: its content names it, so what it shows is what is read. */
  rowLabel: (index: number) => string | undefined;
  idPrefix: string;
}

const OVERSCAN = 8;

export function VirtualList(p: VirtualListProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const frame = useRef(0);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / p.rowHeight) - OVERSCAN);
  const last = Math.min(p.total - 1, Math.ceil((scrollTop + height) / p.rowHeight) + OVERSCAN);
  const { onRange } = p;
  useEffect(() => {
    if (p.total > 0) onRange(first, last);
  }, [first, last, p.total, onRange]);

  // A new list (another search) starts at the top.
  useEffect(() => {
    if (ref.current && p.active === 0) ref.current.scrollTop = 0;
  }, [p.total, p.active]);

  const onScroll = () => {
    // One state update per frame however many scroll events arrive.
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      if (ref.current) setScrollTop(ref.current.scrollTop);
    });
  };

  const moveTo = (i: number) => {
    const idx = Math.max(0, Math.min(p.total - 1, i));
    p.onActive(idx);
    const el = ref.current;
    if (!el) return;
    const top = idx * p.rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + p.rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + p.rowHeight - el.clientHeight;
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const pageRows = Math.max(1, Math.floor(height / p.rowHeight) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveTo(p.active + 1),
      ArrowUp: () => moveTo(p.active - 1),
      PageDown: () => moveTo(p.active + pageRows),
      PageUp: () => moveTo(p.active - pageRows),
      Home: () => moveTo(0),
      End: () => moveTo(p.total - 1),
      Enter: () => p.total > 0 && p.onOpen(p.active),
    };
    const act = keys[e.key];
    if (act) {
      e.preventDefault();
      act();
    }
  };

  const rows: ReactNode[] = [];
  for (let i = first; i <= last; i++) {
    rows.push(
      <div
        key={i}
        id={`${p.idPrefix}-${i}`}
        role="option"
        aria-selected={i === p.active}
        aria-setsize={p.total}
        aria-posinset={i + 1}
        aria-label={p.rowLabel(i)}
        className={`vrow${i === p.active ? ' active' : ''}`}
        style={{ transform: `translateY(${i * p.rowHeight}px)`, height: p.rowHeight }}
        onClick={() => {
          p.onActive(i);
          p.onOpen(i);
        }}
      >
        {p.renderRow(i)}
      </div>,
    );
  }

  return (
    <div
      ref={ref}
      className="vlist"
      role="listbox"
      tabIndex={0}
      aria-label={p.label}
      aria-activedescendant={p.total > 0 ? `${p.idPrefix}-${p.active}` : undefined}
      onScroll={onScroll}
      onKeyDown={onKeyDown}
    >
      <div className="vlist-inner" style={{ height: p.total * p.rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
