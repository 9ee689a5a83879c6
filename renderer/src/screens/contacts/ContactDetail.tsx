// One contact: its details (numbers written as people of the hub's region write them), Edit,
// and Delete with a confirmation.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ContactRow } from '../../../../main/api/contract';
import { client, request } from '../../../api';
import { announce } from '../../hooks';
import { ContactForm } from './ContactForm';
import { ContactHistory } from '../../safety/ContactHistory';
import { addressLine, formatBirthday, formatPhone } from './format';
import './contacts.css';

const FIELD_LABELS: Record<string, string> = { tel: 'Phone', email: 'E-mail', adr: 'Address', url: 'Web' };
const TYPE_WORDS: Record<string, string> = { cell: 'mobile' };

export type Notice = { kind: 'ok' | 'error'; text: string };

export interface ContactDetailProps {
  guid: string;
  region: string;
  editing: boolean;
  /** Move focus to the contact's name when it is shown (a contact just added or saved). */
  focus?: boolean;
  setMode: (m: 'view' | 'edit') => void;
  /** An action starts (old messages go) or ends (its message). */
  notify: (n: Notice | null) => void;
  onDeleted: () => void;
}

export function ContactDetail({ guid, region, editing, focus, setMode, notify, onDeleted }: ContactDetailProps) {
  const [row, setRow] = useState<ContactRow | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef<'heading' | 'edit' | null>(focus ? 'heading' : null);
  const load = useCallback(() => {
    request('contacts:get', { guid }).then(setRow, (e: Error) => setError(e.message));
  }, [guid]);
  useEffect(() => {
    load();
    return client.on('hub:changed', (k) => k === 'contacts' && load());
  }, [load]);
  useEffect(() => {
    if (editing || !row) return;
    const where = returnFocus.current;
    returnFocus.current = null;
    if (where === 'heading') heading.current?.focus();
    else if (where === 'edit') editButton.current?.focus();
  }, [editing, row]);

  if (error) return <p role="alert">{error}</p>;
  if (!row) return <p className="muted">Loading…</p>;
  const c = row.contact;
  const name = c.fn || c.n.filter(Boolean).join(' ') || '(no name)';
  if (editing) {
    return (
      <ContactForm
        title={`Edit ${c.fn || 'contact'}`}
        guid={guid}
        initial={c}
        region={region}
        onCancel={() => {
          returnFocus.current = 'edit';
          setMode('view');
        }}
        onSaved={(_, saved) => {
          returnFocus.current = 'heading';
          setMode('view');
          notify({ kind: 'ok', text: `Changes to ${saved || 'the contact'} saved.` });
          announce('Changes saved.');
        }}
      />
    );
  }
  const typeWords = (t: string) => (t ? ` (${t.split(',').map((x) => TYPE_WORDS[x] ?? x).join(', ')})` : '');
  return (
    <article className="detail" aria-labelledby="detail-name">
      <h3 id="detail-name" ref={heading} tabIndex={-1}>
        {name}
      </h3>
      <dl>
        {(['tel', 'email', 'adr', 'url'] as const).flatMap((f) =>
          c[f].map((v, i) => (
            <div key={`${f}${i}`} className="field">
              <dt>
                {FIELD_LABELS[f]}
                {typeWords(v.type)}
              </dt>
              <dd data-value={f === 'tel' ? v.value : undefined}>{f === 'adr' ? addressLine(v.value) : f === 'tel' ? formatPhone(v.value, region) : v.value}</dd>
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
            <dd>{formatBirthday(c.bday)}</dd>
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
        <button
          type="button"
          ref={editButton}
          onClick={() => {
            notify(null);
            setMode('edit');
          }}
        >
          Edit
        </button>
        {!confirming ? (
          <button
            type="button"
            className="danger"
            onClick={() => {
              notify(null);
              setConfirming(true);
            }}
          >
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
                  notify({ kind: 'ok', text: `${name} was deleted.` });
                  announce('Contact deleted.');
                  onDeleted();
                } catch (e) {
                  notify({ kind: 'error', text: (e as Error).message });
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
