// Activity: during a run, a progress bar per device and the current step; afterwards the
// history of runs with their counts and any error in plain words.
import type { DeviceStatus } from '../../../main/api/contract';
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

export function ActivityScreen({ run }: { run: RunProgress | null }) {
  const devices = useDevices();
  const { value: history } = useHub('sync:history', { limit: 30 }, ['history']);
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
        {history && history.length === 0 && <p className="muted">No syncs yet.</p>}
        <ol className="history" reversed>
          {(history ?? []).map((r) => (
            <li key={r.id} className={`run ${r.outcome}`} data-run={r.id}>
              <div className="run-head">
                <strong>{when(r.finishedAt)}</strong> <span className={`badge ${r.outcome === 'ok' ? 'ok' : r.outcome === 'failed' ? 'bad' : 'warn'}`}>{outcomeLabel(r.outcome)}</span>
                {r.conflicts > 0 && <span className="muted"> · {r.conflicts === 1 ? '1 conflict resolved' : `${r.conflicts} conflicts resolved`}</span>}
                <UndoSync runId={r.id} />
              </div>
              {r.error && <p className="error-text">{r.error}</p>}
              {r.devices.length === 0 && <p className="muted small">Edits made in Concord saved.</p>}
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
          ))}
        </ol>
      </section>
    </section>
  );
}
