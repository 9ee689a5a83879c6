// Priority: the order of sync points (the hub's own editor included) that decides
// conflicts. Reordered by drag and drop or by keyboard (Alt+Arrow keys, or the Move
// buttons), saved at once.
import { useEffect, useState } from 'react';
import type { DeviceStatus } from '../../../main/api/contract';
import { request } from '../../api';
import { announce, useDevices } from '../hooks';

export function PriorityScreen() {
  const devices = useDevices();
  const [order, setOrder] = useState<DeviceStatus[]>([]);
  const [dragging, setDragging] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setOrder([...devices].sort((a, b) => a.priority - b.priority));
  }, [devices]);

  const save = async (next: DeviceStatus[], moved: DeviceStatus) => {
    setOrder(next);
    setError(null);
    const pos = next.findIndex((d) => d.spid === moved.spid) + 1;
    try {
      await request('devices:setPriority', { order: next.map((d) => d.spid) });
      announce(`${moved.name} moved to position ${pos} of ${next.length}. Saved.`);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const move = (from: number, to: number) => {
    if (to < 0 || to >= order.length || from === to) return;
    const next = [...order];
    const [item] = next.splice(from, 1);
    next.splice(to, 0, item!);
    void save(next, item!);
    // Keep the keyboard focus on the item that moved.
    requestAnimationFrame(() => document.getElementById(`prio-${item!.spid}`)?.focus());
  };

  return (
    <section aria-labelledby="screen-heading" className="screen">
      <div className="screen-head">
        <h2 id="screen-heading" tabIndex={-1}>
          Priority
        </h2>
      </div>
      <p className="explain" id="priority-explain">
        When the same detail of a contact was changed differently on two devices, the change from the one higher in this list wins, and the other version is kept under Conflicts.
      </p>
      <p className="muted small" id="priority-help">
        Drag a device to move it, or focus it and press Alt+Up or Alt+Down. Changes are saved at once.
      </p>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <ol className="priority-list" aria-describedby="priority-explain priority-help">
        {order.map((d, i) => (
          <li
            key={d.spid}
            id={`prio-${d.spid}`}
            tabIndex={0}
            draggable
            data-spid={d.spid}
            className={`priority-item${dragging === d.spid ? ' dragging' : ''}`}
            aria-label={`${i + 1}. ${d.name}`}
            onKeyDown={(e) => {
              if (e.altKey && e.key === 'ArrowUp') {
                e.preventDefault();
                move(i, i - 1);
              } else if (e.altKey && e.key === 'ArrowDown') {
                e.preventDefault();
                move(i, i + 1);
              } else if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
                e.preventDefault();
                const t = order[i + (e.key === 'ArrowUp' ? -1 : 1)];
                if (t) document.getElementById(`prio-${t.spid}`)?.focus();
              }
            }}
            onDragStart={(e) => {
              setDragging(d.spid);
              e.dataTransfer.effectAllowed = 'move';
              e.dataTransfer.setData('text/plain', d.spid);
            }}
            onDragEnd={() => setDragging(null)}
            onDragOver={(e) => {
              e.preventDefault();
              e.dataTransfer.dropEffect = 'move';
            }}
            onDrop={(e) => {
              e.preventDefault();
              const spid = e.dataTransfer.getData('text/plain') || dragging;
              const from = order.findIndex((x) => x.spid === spid);
              setDragging(null);
              if (from >= 0) move(from, i);
            }}
          >
            <span className="rank" aria-hidden="true">
              {i + 1}
            </span>
            <span className="grab" aria-hidden="true">
              ⠿
            </span>
            <span className="prio-name">{d.name}</span>
            <span className="muted small">{d.kind === 'editor' ? 'edits made in Concord' : d.online ? 'connected' : 'not connected'}</span>
            <span className="move-buttons">
              <button type="button" tabIndex={-1} aria-label={`Move ${d.name} up`} disabled={i === 0} onClick={() => move(i, i - 1)}>
                ↑
              </button>
              <button type="button" tabIndex={-1} aria-label={`Move ${d.name} down`} disabled={i === order.length - 1} onClick={() => move(i, i + 1)}>
                ↓
              </button>
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
