// Activity: during a run, a progress bar per device and the current step; afterwards the
// history of runs with their counts and any error in plain words. Edits made in Concord are
// saved by runs of their own: those runs are not listed one by one; the edits between two
// device syncs are one entry that names each change. A run that carried out "Undo this
// sync" is an entry of its own, with "Undo this undo…" (sync-method.md: to undo an undo,
// undo the run that reconciled it).
import type { DeviceStatus, EditNote, RunView } from '../../../main/api/contract';
import { useDevices, useHub, type RunProgress } from '../hooks';
import { countsLine, deviceError, outcomeLabel, when } from '../words';
import { UndoSync } from '../safety/UndoSync';

function phaseWords(p: RunProgress['per'][string]): string {
  switch (p.phase) {
    case 'waiting':
      return 'Waiting';
    case 'retrieving':
      return 'Reading contacts…';
    case 'retrieved':
      return 'Read; waiting to send changes';
    case 'pushing':
      return p.total === 0 ? 'Nothing to send' : `Sending changes: ${p.done} of ${p.total}`;
    case 'done':
      return 'Done';
    case 'failed':
      return 'Stopped';
  }
}

function fraction(p: RunProgress['per'][string]): number {
  switch (p.phase) {
    case 'waiting':
      return 0;
    case 'retrieving':
      return 0.05;
    case 'retrieved':
      return 0.15;
    case 'pushing':
      return p.total === 0 ? 1 : 0.15 + 0.85 * (p.done / p.total);
    case 'done':
    case 'failed':
      return 1;
  }
}

type HistoryEntry = { kind: 'run'; run: RunView } | { kind: 'edits'; at: number; notes: { text: string; times: number }[]; runs: number };

/** A run that only saved edits made in Concord (no device, nothing wrong, no undo). */
function editorOnly(r: RunView): boolean {
  return r.devices.length === 0 && r.outcome === 'ok' && !r.error && r.undoOf.length === 0;
}

/** Runs and edit notes, newest first; edits (and the runs that only saved them) not separated
 *  by a device sync become one entry, repeats of the same edit counted. */
export function historyEntries(runs: RunView[], edits: EditNote[]): HistoryEntry[] {
  // Only edits as old as the oldest run shown: older ones belong with runs not loaded.
  const oldest = runs.length > 0 ? Math.min(...runs.map((r) => r.startedAt)) : -Infinity;
  const items = [
    ...runs.map((r) => ({ at: r.finishedAt, run: r as RunView | null, note: null as EditNote | null })),
    ...edits.filter((e) => runs.length === 0 || e.at >= oldest).map((e) => ({ at: e.at, run: null as RunView | null, note: e })),
  ].sort((a, b) => b.at - a.at);
  const out: HistoryEntry[] = [];
  for (const it of items) {
    if (it.run && !editorOnly(it.run)) {
      out.push({ kind: 'run', run: it.run });
      continue;
    }
    let group = out[out.length - 1];
    if (group?.kind !== 'edits') {
      group = { kind: 'edits', at: it.at, notes: [], runs: 0 };
      out.push(group);
    }
    if (it.run) group.runs++;
    else if (it.note) {
      const last = group.notes[group.notes.length - 1];
      if (last?.text === it.note.text) last.times++;
      else group.notes.push({ text: it.note.text, times: 1 });
    }
  }
  return out;
}

const MAX_NOTES = 12;

export function ActivityScreen({ run }: { run: RunProgress | null }) {
  const devices = useDevices();
  const { value: history } = useHub('sync:history', { limit: 50 }, ['history']);
  const { value: edits } = useHub('activity:edits', { limit: 300 }, ['history', 'contacts', 'conflicts']);
  const entries = historyEntries(history ?? [], edits ?? []);
  const dev = (spid: string): DeviceStatus | undefined => devices.find((d) => d.spid === spid);
  const name = (spid: string) => dev(spid)?.name ?? spid;

  return (
    <section aria-labelledby="screen-heading" className="screen">
      <div className="screen-head">
        <h2 id="screen-heading" tabIndex={-1}>
          Activity
        </h2>
      </div>
      <section aria-labelledby="now-heading" className="panel">
        <h3 id="now-heading">{run && !run.finished ? 'Syncing now' : 'Last sync'}</h3>
        {!run && <p className="muted">No sync has run since this window opened.</p>}
        {run && (
          <>
            <p className="step" data-testid="current-step">
              {run.step}
            </p>
            {run.devices.length === 0 && <p className="muted">Only edits made in Concord were saved; no device was connected.</p>}
            <ul className="progress-list">
              {run.devices.map((spid) => {
                const p = run.per[spid] ?? { phase: 'waiting', done: 0, total: 0 };
                const pct = Math.round(fraction(p) * 100);
                const label = `${name(spid)}: ${phaseWords(p)}`;
                return (
                  <li key={spid} data-spid={spid}>
                    <div className="progress-label" id={`pl-${spid}`}>
                      <strong>{name(spid)}</strong> — {phaseWords(p)}
                    </div>
                    <div className={`bar${p.phase === 'failed' ? ' failed' : ''}`} role="progressbar" aria-labelledby={`pl-${spid}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={label}>
                      <div className="bar-fill" style={{ width: `${pct}%` }} />
                    </div>
                    {p.error && <p className="error-text small">{deviceError(name(spid), dev(spid)?.link, { in: { add: 0, update: 0, delete: 0 }, out: { add: 0, update: 0, delete: 0 }, skipped: 0, pending: Math.max(0, p.total - p.done), error: p.error })}</p>}
                  </li>
                );
              })}
            </ul>
          </>
        )}
      </section>
      <section aria-labelledby="history-heading" className="panel">
        <h3 id="history-heading">History</h3>
        {history && entries.length === 0 && <p className="muted">No syncs yet.</p>}
        <ol className="history" reversed>
          {entries.map((e) => {
            if (e.kind === 'edits') {
              const more = e.notes.length - MAX_NOTES;
              return (
                <li key={`edits-${e.at}`} className="run edits" data-edits>
                  <div className="run-head">
                    <strong>{when(e.at)}</strong> <span className="badge ok">Edits in Concord</span>
                  </div>
                  {e.notes.length === 0 ? (
                    <p className="muted small">Edits made in Concord saved.</p>
                  ) : (
                    <ul className="plain edit-notes">
                      {e.notes.slice(0, MAX_NOTES).map((n, i) => (
                        <li key={i}>
                          {n.text}
                          {n.times > 1 && <span className="muted"> ({n.times} times)</span>}
                        </li>
                      ))}
                      {more > 0 && <li className="muted">and {more === 1 ? '1 more edit' : `${more} more edits`}</li>}
                    </ul>
                  )}
                </li>
              );
            }
            const r = e.run;
            const undid = r.undoOf.map((id) => history?.find((h) => h.id === id)).filter((h) => h !== undefined);
            return (
              <li key={r.id} className={`run ${r.outcome}`} data-run={r.id}>
                <div className="run-head">
                  <strong>{when(r.finishedAt)}</strong> <span className={`badge ${r.outcome === 'ok' ? 'ok' : r.outcome === 'failed' ? 'bad' : 'warn'}`}>{outcomeLabel(r.outcome)}</span>
                  {r.conflicts > 0 && <span className="muted"> · {r.conflicts === 1 ? '1 conflict resolved' : `${r.conflicts} conflicts resolved`}</span>}
                  {r.undoneAt !== null && <span className="badge warn undone-note">Undone {when(r.undoneAt)}</span>}
                  <UndoSync runId={r.id} undo={r.undoOf.length > 0} />
                </div>
                {r.error && <p className="error-text">{r.error}</p>}
                {r.undoOf.length > 0 && (
                  <p className="small" data-testid="undo-of">
                    {undid.length > 0 ? `Undid the ${undid.length === 1 ? 'sync' : 'syncs'} of ${undid.map((u) => when(u.finishedAt)).join(', ')}.` : 'Undid an earlier sync.'}
                  </p>
                )}
                {r.devices.length === 0 && r.undoOf.length === 0 && <p className="muted small">Edits made in Concord saved.</p>}
                <ul className="plain">
                  {r.devices.map((spid) => {
                    const c = r.counts[spid];
                    if (!c) return null;
                    return (
                      <li key={spid}>
                        <span>
                          {name(spid)}: {countsLine(c)}
                        </span>
                        {c.error && <p className="error-text">{deviceError(name(spid), dev(spid)?.link, c)}</p>}
                      </li>
                    );
                  })}
                </ul>
              </li>
            );
          })}
        </ol>
      </section>
    </section>
  );
}
