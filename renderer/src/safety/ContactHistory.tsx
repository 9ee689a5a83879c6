// A contact's history in the detail view: each version with when, which device, what
// changed; "Restore this version" is an ordinary edit of the hub's editor.
import { useState } from 'react';
import type { Contact, HistoryEntry } from '../../../main/api/contract';
import { request } from '../../api';
import { announce, useDevices, useHub } from '../hooks';
import { when } from '../words';

const KIND = { added: 'Added', updated: 'Changed', deleted: 'Deleted', restored: 'Restored' } as const;
const LABEL: Record<string, string> = { fn: 'name', n: 'name', tel: 'phone', email: 'e-mail', adr: 'address', url: 'web', org: 'organisation', title: 'job title', bday: 'birthday', note: 'note', extra: 'other fields' };

function changedFields(e: HistoryEntry): string {
  const keys = Object.keys(e.writers);
  if (keys.includes('*')) return 'every field';
  return [...new Set(keys.map((k) => LABEL[k.split(/[.:[]/)[0]!] ?? k))].join(', ');
}

export function ContactHistory({ guid }: { guid: string }) {
  const { value: history } = useHub('contacts:history', { guid }, ['contacts', 'history']);
  const devices = useDevices();
  const [error, setError] = useState<string | null>(null);
  if (!history || history.length === 0) return null;
  const name = (spid: string) => (spid === 'hub' ? 'Concord' : (devices.find((d) => d.spid === spid)?.name ?? spid));
  const restore = async (c: Contact) => {
    try {
      await request('contacts:update', { guid, contact: c });
      announce('That version is restored; it reaches your devices at their next sync.');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const versions = [...history].reverse();
  return (
    <section className="history-panel" aria-label="History" data-testid="contact-history">
      <h4>History</h4>
      <ol className="plain">
        {versions.map((e, i) => (
          <li key={e.id}>
            <strong>{KIND[e.kind]}</strong> {when(e.at)}
            {e.kind !== 'restored' && <span className="muted"> — {changedFields(e)} by {[...new Set(Object.values(e.writers))].map(name).join(', ')}</span>}
            {i > 0 && e.after && (
              <button type="button" className="link-button" onClick={() => restore(e.after!)}>
                Restore this version
              </button>
            )}
          </li>
        ))}
      </ol>
      {error && <p className="error-text">{error}</p>}
    </section>
  );
}
