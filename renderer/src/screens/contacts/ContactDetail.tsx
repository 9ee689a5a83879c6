// One contact: its details, Edit and Delete (with a confirmation).
import { useCallback, useEffect, useState } from 'react';
import type { ContactRow } from '../../../../main/api/contract';
import { client, request } from '../../../api';
import { announce } from '../../hooks';
import { ContactForm } from './ContactForm';
import { ContactHistory } from '../../safety/ContactHistory';

const FIELD_LABELS: Record<string, string> = { tel: 'Phone', email: 'E-mail', adr: 'Address', url: 'Web' };

export function ContactDetail({ guid, editing, setMode, onDeleted }: { guid: string; editing: boolean; setMode: (m: 'view' | 'edit') => void; onDeleted: () => void }) {
  const [row, setRow] = useState<ContactRow | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const load = useCallback(() => {
    request('contacts:get', { guid }).then(setRow, (e: Error) => setError(e.message));
  }, [guid]);
  useEffect(() => {
    load();
    return client.on('hub:changed', (k) => k === 'contacts' && load());
  }, [load]);
  if (error) return <p role="alert">{error}</p>;
  if (!row) return <p className="muted">Loading…</p>;
  const c = row.contact;
  if (editing) {
    return (
      <ContactForm
        title={`Edit ${c.fn || 'contact'}`}
        initial={c}
        onCancel={() => setMode('view')}
        onSave={async (next) => {
          await request('contacts:update', { guid, contact: next });
          setMode('view');
          announce('Changes saved.');
        }}
      />
    );
  }
  return (
    <article className="detail" aria-labelledby="detail-name">
      <h3 id="detail-name">{c.fn || c.n.filter(Boolean).join(' ') || '(no name)'}</h3>
      <dl>
        {(['tel', 'email', 'adr', 'url'] as const).flatMap((f) =>
          c[f].map((v, i) => (
            <div key={`${f}${i}`} className="field">
              <dt>
                {FIELD_LABELS[f]}
                {v.type ? ` (${v.type})` : ''}
              </dt>
              <dd>{f === 'adr' ? v.value.split(';').filter(Boolean).join(', ') : v.value}</dd>
            </div>
          )),
        )}
        {c.org && (
          <div className="field">
            <dt>Organisation</dt>
            <dd>{c.org}</dd>
          </div>
        )}
        {c.title && (
          <div className="field">
            <dt>Job title</dt>
            <dd>{c.title}</dd>
          </div>
        )}
        {c.bday && (
          <div className="field">
            <dt>Birthday</dt>
            <dd>{c.bday}</dd>
          </div>
        )}
        {c.note && (
          <div className="field">
            <dt>Note</dt>
            <dd className="pre">{c.note}</dd>
          </div>
        )}
      </dl>
      <ContactHistory guid={guid} />
      <div className="toolbar">
        <button type="button" onClick={() => setMode('edit')}>
          Edit
        </button>
        {!confirming ? (
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Delete…
          </button>
        ) : (
          <span role="group" aria-label="Confirm delete">
            <span>Delete on every device? </span>
            <button
              type="button"
              className="danger"
              autoFocus
              onClick={async () => {
                try {
                  await request('contacts:delete', { guid });
                  announce('Contact deleted.');
                  onDeleted();
                } catch (e) {
                  setError((e as Error).message);
                }
              }}
            >
              Yes, delete
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </span>
        )}
      </div>
    </article>
  );
}
