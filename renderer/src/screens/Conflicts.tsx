// Conflicts: every conflict the hub resolved, newest first; both (or all) versions side by
// side with the differing fields marked and the device each came from; "Use this version"
// makes that version an ordinary edit that then syncs everywhere. The version in use is the
// one the user chose, else the one the hub kept; only the others offer "Use this version".
import { useEffect, useRef, useState } from 'react';
import type { ConflictEntry, ConflictView, Contact } from '../../../main/api/contract';
import { request } from '../../api';
import { announce, useDevices, useHub } from '../hooks';
import { when } from '../words';

const FIELD_WORDS: Record<string, string> = {
  fn: 'Name',
  n: 'Name parts',
  tel: 'Phone',
  email: 'E-mail',
  adr: 'Address',
  org: 'Organisation',
  title: 'Job title',
  bday: 'Birthday',
  note: 'Note',
  url: 'Web',
  x: 'Other',
};

/** "tel (cell) #2" → "Phone (mobile) #2". */
export function fieldLabel(label: string): string {
  const m = /^(\w+)(.*)$/.exec(label);
  if (!m) return label;
  return `${FIELD_WORDS[m[1]!] ?? m[1]}${m[2]!.replace('(cell)', '(mobile)')}`;
}

function showValue(label: string, v: string | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (label.startsWith('n') && v.startsWith('[')) {
    try {
      return (JSON.parse(v) as string[]).filter(Boolean).join(' ');
    } catch {
      return v;
    }
  }
  return v;
}

function nameOf(c: ConflictEntry): string {
  const any = c.result ?? c.versions.find((v) => v.contact)?.contact ?? null;
  return any ? any.fn || any.n.filter(Boolean).join(' ') || any.tel[0]?.value || '(no name)' : '(deleted contact)';
}

/** The fields a version holds that are not in the conflict, for context. */
function otherFields(c: Contact | null): [string, string][] {
  if (!c) return [];
  const out: [string, string][] = [];
  if (c.fn) out.push(['Name', c.fn]);
  for (const t of c.tel) out.push([`Phone${t.type ? ` (${t.type === 'cell' ? 'mobile' : t.type})` : ''}`, t.value]);
  for (const e of c.email) out.push([`E-mail${e.type ? ` (${e.type})` : ''}`, e.value]);
  if (c.org) out.push(['Organisation', c.org]);
  return out;
}

export function ConflictsScreen() {
  const { value: conflicts, error } = useHub('conflicts:list', {}, ['conflicts']);
  const devices = useDevices();
  const [openId, setOpenId] = useState<number | null>(null);
  const deviceName = (spid: string) => devices.find((d) => d.spid === spid)?.name ?? (spid === 'hub' ? 'Concord (this computer)' : spid);
  const list = conflicts ?? [];
  const open = list.find((c) => c.id === openId) ?? null;

  useEffect(() => {
    if (openId === null && list.length > 0) setOpenId(list[0]!.id);
  }, [list, openId]);

  return (
    <section aria-labelledby="screen-heading" className="screen conflicts">
      <div className="screen-head">
        <h2 id="screen-heading" tabIndex={-1}>
          Conflicts
        </h2>
      </div>
      {error && <p role="alert">{error}</p>}
      {conflicts && list.length === 0 && <p className="muted">No conflicts. When two devices change the same detail, the outcome shows here.</p>}
      <div className="split">
        <ul className="conflict-list" aria-label="Conflicts, newest first">
          {list.map((c) => (
            <li key={c.id}>
              <button type="button" className={`conflict-item${c.id === openId ? ' active' : ''}`} aria-current={c.id === openId ? 'true' : undefined} onClick={() => setOpenId(c.id)}>
                <span className="row-name">{nameOf(c)}</span>
                <span className="row-sub">
                  {when(c.at)} · {c.kind === 'delete-update' ? 'deleted on one device, changed on another' : c.kind === 'added-twice' ? 'added on two devices' : `${c.elements.length} ${c.elements.length === 1 ? 'detail' : 'details'} differed`}
                  {c.resolvedAt ? ` · you chose the version from ${c.chosen ? deviceName(c.chosen) : 'one device'}` : ''}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <div className="detail-pane">{open && <ConflictDetail key={open.id} c={open} deviceName={deviceName} />}</div>
      </div>
    </section>
  );
}

/** The version every device has now: the user's choice, else the hub's. */
export function inUse(c: ConflictView, spid: string): boolean {
  return c.chosen !== null ? c.chosen === spid : c.versions.find((v) => v.spid === spid)?.won === true;
}

function ConflictDetail({ c, deviceName }: { c: ConflictView; deviceName: (spid: string) => string }) {
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const doneRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    // The button that was pressed is gone (its version is in use now): keep the keyboard
    // focus on the outcome rather than losing it to the page.
    if (done) doneRef.current?.focus();
  }, [done]);
  const valueOf = (el: ConflictEntry['elements'][number], spid: string) =>
    el.winner.spid === spid ? el.winner.value : el.losers.find((l) => l.spid === spid)?.value ?? (c.versions.find((v) => v.spid === spid)?.won ? el.winner.value : undefined);

  return (
    <article className="conflict" aria-labelledby="conflict-title">
      <h3 id="conflict-title">{nameOf(c)}</h3>
      <p className="muted">
        Resolved {when(c.at)}.{' '}
        {c.resolvedAt
          ? `You chose the version from ${c.chosen ? deviceName(c.chosen) : 'one device'} ${when(c.resolvedAt)}; it is sent to every device like any edit.`
          : 'The version marked “Kept” is the one every device now has.'}
      </p>
      <div className="table-wrap">
        <table className="versions">
          <caption className="visually-hidden">Versions side by side; rows marked “differs” are the details that conflicted.</caption>
          <thead>
            <tr>
              <th scope="col">Detail</th>
              {c.versions.map((v) => (
                <th scope="col" key={v.spid} data-spid={v.spid}>
                  From {deviceName(v.spid)}{' '}
                  {inUse(c, v.spid) ? <span className="badge ok">{c.chosen ? 'In use (your choice)' : 'Kept'}</span> : <span className="badge off">Not used</span>}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {c.elements.map((el) => (
              <tr key={el.key} className="differs">
                <th scope="row">
                  {fieldLabel(el.label)} <span className="differs-mark">differs</span>
                </th>
                {c.versions.map((v) => (
                  <td key={v.spid}>{v.contact === null ? 'Deleted' : showValue(el.label, valueOf(el, v.spid))}</td>
                ))}
              </tr>
            ))}
            {c.elements.length === 0 && (
              <tr>
                <th scope="row">Whole contact</th>
                {c.versions.map((v) => (
                  <td key={v.spid}>{v.contact === null ? 'Deleted' : 'Kept'}</td>
                ))}
              </tr>
            )}
            <tr className="context">
              <th scope="row">The whole version</th>
              {c.versions.map((v) => (
                <td key={v.spid}>
                  {v.contact === null ? (
                    'Deleted on this device'
                  ) : (
                    <ul className="plain">
                      {otherFields(v.contact).map(([k, val], i) => (
                        <li key={i}>
                          <span className="muted">{k}:</span> {val}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              ))}
            </tr>
          </tbody>
          <tfoot>
            <tr>
              <td />
              {c.versions.map((v) => (
                <td key={v.spid}>
                  {inUse(c, v.spid) ? (
                    <span className="muted">In use</span>
                  ) : (
                  <button
                    type="button"
                    className="primary"
                    onClick={async () => {
                      setError(null);
                      try {
                        await request('conflicts:resolve', { id: c.id, spid: v.spid });
                        const msg = `Using the version from ${deviceName(v.spid)}. It will be sent to every device.`;
                        setDone(msg);
                        announce(msg);
                      } catch (e) {
                        setError((e as Error).message);
                      }
                    }}
                  >
                    Use this version<span className="visually-hidden"> from {deviceName(v.spid)}</span>
                  </button>
                  )}
                </td>
              ))}
            </tr>
          </tfoot>
        </table>
      </div>
      {done && (
        <p role="status" className="note" tabIndex={-1} ref={doneRef}>
          {done}
        </p>
      )}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
    </article>
  );
}
