// Recently deleted: contacts deleted from every device, with their last version, and
// Restore (sync-method.md, "Restore a deleted contact": an add of the hub's editor).
import { useState } from 'react';
import { request } from '../../api';
import { announce, useDevices, useHub } from '../hooks';
import { when } from '../words';

export function RecentlyDeletedScreen() {
  const { value: deleted, reload } = useHub('contacts:deleted', {}, ['contacts', 'history']);
  const devices = useDevices();
  const [error, setError] = useState<string | null>(null);
  const name = (spid: string) => (spid === 'hub' ? 'Concord' : (devices.find((d) => d.spid === spid)?.name ?? spid));
  const restore = async (guid: string, who: string) => {
    setError(null);
    try {
      await request('contacts:restore', { guid });
      announce(`${who} is restored; it reaches your devices at their next sync.`);
      reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section aria-labelledby="screen-heading" className="screen">
      <div className="screen-head">
        <h2 id="screen-heading" tabIndex={-1}>
          Recently deleted
        </h2>
      </div>
      {error && <p role="alert" className="error-text">{error}</p>}
      {deleted && deleted.length === 0 && <p className="muted">No deleted contacts.</p>}
      <ul className="plain deleted-list">
        {(deleted ?? []).map((d) => {
          const who = d.contact.fn || d.contact.n.filter(Boolean).join(' ') || d.contact.tel[0]?.value || '(no name)';
          return (
            <li key={d.guid} data-guid={d.guid}>
              <strong>{who}</strong>{' '}
              <span className="muted">
                deleted {when(d.at)} on {name(d.by)}
                {d.contact.tel[0] ? ` · ${d.contact.tel[0].value}` : ''}
              </span>{' '}
              <button type="button" onClick={() => restore(d.guid, who)}>
                Restore
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
