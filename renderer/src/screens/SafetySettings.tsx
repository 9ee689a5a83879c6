// The safety net's rows of Settings (sync-method.md, "The safety net"): the guard that holds
// mass deletions and its two thresholds, notifications of a hold (the browser UI), how long
// the history is kept (never under 30 days), and the backups: how many are kept, where
// they are, "Back up now". Each row is checked here as it is typed and again by the hub.
import { useEffect, useId, useState, type ReactNode } from 'react';
import type { HoldView, Settings } from '../../../main/api/contract';
import { request } from '../../api';
import { announce, useHub } from '../hooks';
import { allowNotifications, setNotifyChoice, useNotifyState } from '../safety/notify';
import { plural, when } from '../words';

type Safety = Settings['safety'];

/** A whole number typed into a box, or why it is not one in range. */
function wholeNumber(text: string, min: number, max: number, what: string): { n: number; problem: string | null } {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim())) return { n, problem: `${what} is a whole number.` };
  if (n < min || n > max) return { n, problem: `${what} is from ${min.toLocaleString('en-GB')} to ${max.toLocaleString('en-GB')}.` };
  return { n, problem: null };
}

/** A labelled number box whose problem is tied to it (aria-describedby, aria-invalid). */
function NumberBox(props: { id: string; label: ReactNode; after?: ReactNode; value: string; onChange: (v: string) => void; problem: string | null; disabled?: boolean; testId: string }) {
  return (
    <span className="number-box">
      <label htmlFor={props.id}>{props.label}</label>{' '}
      <input
        id={props.id}
        inputMode="numeric"
        size={6}
        value={props.value}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={!!props.problem}
        aria-describedby={props.problem ? `${props.id}-problem` : undefined}
        data-testid={props.testId}
      />
      {props.after && <span> {props.after}</span>}
    </span>
  );
}

function Problem({ id, text }: { id: string; text: string | null }) {
  return text ? (
    <p id={`${id}-problem`} className="error-text">
      {text}
    </p>
  ) : null;
}

/** A setting's save: busy, and the hub's refusal in words. */
function useSave(reload: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const save = async (what: () => Promise<unknown>, said: string) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      announce(said);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
      reload();
    }
  };
  return { busy, error, save };
}

export function SafetySections({ s, reload }: { s: Safety; reload: () => void }) {
  return (
    <>
      <GuardSection s={s} reload={reload} />
      <RetentionSection s={s} reload={reload} />
      <BackupSection s={s} reload={reload} />
    </>
  );
}

function GuardSection({ s, reload }: { s: Safety; reload: () => void }) {
  const [on, setOn] = useState(s.guard.on);
  const [deletes, setDeletes] = useState(String(s.guard.deletes));
  const [percent, setPercent] = useState(String(s.guard.percent));
  const { busy, error, save } = useSave(reload);
  const id = useId();
  useEffect(() => setOn(s.guard.on), [s.guard.on]);
  useEffect(() => setDeletes(String(s.guard.deletes)), [s.guard.deletes]);
  useEffect(() => setPercent(String(s.guard.percent)), [s.guard.percent]);
  const d = wholeNumber(deletes, 0, 100_000, 'The number of deletions');
  const p = wholeNumber(percent, 0, 100, 'The share of the contacts');
  const changed = d.n !== s.guard.deletes || p.n !== s.guard.percent;
  const apply = (want: boolean) =>
    save(() => request('settings:setGuard', { on: want, deletes: d.problem ? s.guard.deletes : d.n, percent: p.problem ? s.guard.percent : p.n }), want ? 'Mass deletions will be held.' : 'Mass deletions will no longer be held.');
  return (
    <section className="panel" aria-labelledby="guard-heading" data-testid="guard-settings">
      <h3 id="guard-heading">Held mass deletions</h3>
      <p className="muted small">
        When one device deletes many contacts in one sync (a phone reset, an address book emptied by mistake), Concord holds the deletions and asks you before it deletes
        them anywhere else.
      </p>
      <label className="inline">
        <input
          type="checkbox"
          checked={on}
          aria-disabled={busy || undefined}
          onChange={(e) => {
            if (busy) return;
            setOn(e.target.checked);
            void apply(e.target.checked);
          }}
        />{' '}
        Hold mass deletions and ask me
      </label>
      <form
        className="inline-form wrap"
        onSubmit={(e) => {
          e.preventDefault();
          if (!d.problem && !p.problem && !busy) void save(() => request('settings:setGuard', { on, deletes: d.n, percent: p.n }), `Deletions are held when a device deletes more than ${plural(d.n, 'contact')} and more than ${p.n} % of them.`);
        }}
      >
        <NumberBox id={`${id}-n`} label="When a device deletes more than" after="contacts" value={deletes} onChange={setDeletes} problem={d.problem} disabled={!on} testId="guard-deletes" />
        <NumberBox id={`${id}-p`} label="and more than" after="% of them in one sync" value={percent} onChange={setPercent} problem={p.problem} disabled={!on} testId="guard-percent" />
        <button type="submit" disabled={!on || !!d.problem || !!p.problem || !changed} aria-disabled={busy || undefined}>
          Save
        </button>
      </form>
      <Problem id={`${id}-n`} text={d.problem} />
      <Problem id={`${id}-p`} text={p.problem} />
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <p className="muted small" data-testid="guard-state" role="status">
        {s.guard.on
          ? `On: more than ${plural(s.guard.deletes, 'deletion')}${s.guard.percent > 0 ? ` and more than ${s.guard.percent} % of the contacts` : ''} from one device in one sync are held.`
          : 'Off: every deletion goes through at once.'}
      </p>
      <NotifyRow />
    </section>
  );
}

/** Notifications of a hold: the desktop app shows them itself; a browser asks first. */
function NotifyRow() {
  const [state, setState] = useNotifyState();
  const holds: HoldView[] = useHub('holds:list', {}, ['contacts', 'devices', 'history']).value ?? [];
  switch (state) {
    case 'app':
      return <p className="small">Concord shows a notification when deletions are held.</p>;
    case 'unsupported':
      return <p className="muted small">This browser cannot show notifications; the banner at the top of Concord shows held deletions.</p>;
    case 'denied':
      return <p className="small" data-testid="notify-state">This browser blocks notifications from Concord. To get them, allow notifications for this page in the browser’s site settings.</p>;
    case 'default':
      return (
        <p className="small">
          <button type="button" onClick={async () => setState(await allowNotifications(holds))} data-testid="notify-me">
            Notify me
          </button>{' '}
          <span className="muted">Show a notification on this computer when deletions are held (the browser asks you first).</span>
        </p>
      );
    case 'on':
    case 'off':
      return (
        <label className="inline small">
          <input type="checkbox" checked={state === 'on'} onChange={(e) => setState(setNotifyChoice(e.target.checked, holds))} data-testid="notify-choice" /> Show a notification in this
          browser when deletions are held
        </label>
      );
  }
}

function RetentionSection({ s, reload }: { s: Safety; reload: () => void }) {
  const [forever, setForever] = useState(s.retentionDays === null);
  const [days, setDays] = useState(String(s.retentionDays ?? 365));
  const { busy, error, save } = useSave(reload);
  const id = useId();
  useEffect(() => {
    setForever(s.retentionDays === null);
    if (s.retentionDays !== null) setDays(String(s.retentionDays));
  }, [s.retentionDays]);
  const min = s.minRetentionDays;
  const n = Number(days);
  const problem = forever
    ? null
    : !/^\d+$/.test(days.trim())
      ? 'The number of days is a whole number.'
      : n < min
        ? `History is kept at least ${min} days, so that any sync of the last month can be undone.`
        : n > 36_500
          ? 'At most 36,500 days; choose “Forever” to keep all of it.'
          : null;
  const changed = forever ? s.retentionDays !== null : s.retentionDays !== n;
  return (
    <section className="panel" aria-labelledby="retention-heading">
      <h3 id="retention-heading">History</h3>
      <p className="muted small">Concord keeps every version of every contact, so that a sync can be undone and a deleted contact restored.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!problem && !busy) void save(() => request('settings:setRetention', { days: forever ? null : n }), forever ? 'History is kept forever.' : `History is kept ${n} days.`);
        }}
      >
        <fieldset className="plain-fieldset">
          <legend>Keep the history</legend>
          <label className="inline">
            <input type="radio" name={`${id}-keep`} checked={forever} onChange={() => setForever(true)} /> Forever
          </label>
          <span className="number-box">
            <label className="inline">
              <input type="radio" name={`${id}-keep`} checked={!forever} onChange={() => setForever(false)} aria-label="For a number of days" /> For
            </label>{' '}
            <input
              id={`${id}-days`}
              inputMode="numeric"
              size={6}
              value={days}
              aria-label="Days of history to keep"
              onFocus={() => setForever(false)}
              onChange={(e) => {
                setForever(false);
                setDays(e.target.value);
              }}
              aria-invalid={!!problem}
              aria-describedby={problem ? `${id}-days-problem` : undefined}
              data-testid="retention-days"
            />{' '}
            days
          </span>
        </fieldset>
        <Problem id={`${id}-days`} text={problem} />
        <button type="submit" disabled={!!problem || !changed} aria-disabled={busy || undefined}>
          Save
        </button>
      </form>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <p className="muted small" data-testid="retention-state" role="status">
        {s.retentionDays === null ? 'Kept forever.' : `Kept ${s.retentionDays} days: versions and deleted contacts older than that are removed.`}
      </p>
    </section>
  );
}

function BackupSection({ s, reload }: { s: Safety; reload: () => void }) {
  const [keep, setKeep] = useState(String(s.backups.keep));
  const { busy, error, save } = useSave(reload);
  const [made, setMade] = useState<string | null>(null);
  const id = useId();
  useEffect(() => setKeep(String(s.backups.keep)), [s.backups.keep]);
  const k = wholeNumber(keep, 1, 365, 'The number of backups');
  return (
    <section className="panel" aria-labelledby="backup-heading">
      <h3 id="backup-heading">Backups</h3>
      <p>
        Concord copies its database once a day into <code data-testid="backup-dir">{s.backups.dir}</code>.
      </p>
      <p className="small" data-testid="backup-latest">
        {s.backups.latest ? `Last backup: ${when(s.backups.latest.at)}.` : 'No backup yet.'}
      </p>
      <form
        className="inline-form wrap"
        onSubmit={(e) => {
          e.preventDefault();
          if (!k.problem && !busy) void save(() => request('settings:setBackupKeep', { keep: k.n }), `The last ${plural(k.n, 'backup')} are kept.`);
        }}
      >
        <NumberBox id={`${id}-keep`} label="Keep the last" after="daily backups" value={keep} onChange={setKeep} problem={k.problem} testId="backup-keep" />
        <button type="submit" disabled={!!k.problem || k.n === s.backups.keep} aria-disabled={busy || undefined}>
          Save
        </button>
      </form>
      <Problem id={`${id}-keep`} text={k.problem} />
      <div className="toolbar">
        <button
          type="button"
          aria-disabled={busy || undefined}
          onClick={() =>
            !busy &&
            void save(async () => {
              const b = await request('backups:now', {});
              setMade(b.file);
            }, 'Backup made.')
          }
        >
          Back up now
        </button>
      </div>
      {made && (
        <p className="small" role="status" data-testid="backup-made">
          Saved as <code>{made}</code>
        </p>
      )}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <p className="muted small">
        To go back to a backup, run <code>concord restore FILE</code>: your contacts become what the backup holds, and every device follows at its next sync.
      </p>
    </section>
  );
}
