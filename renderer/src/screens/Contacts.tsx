// Contacts: a windowed list of the whole truth (100,000 is fine), instant search, a detail
// view, add/edit/delete through the hub's editor, vCard import with a preview and export.
// One message at a time, next to no other: it goes as soon as the next action starts.
import { useRef, useState } from 'react';
import type { ImportPreview, VCardVersion } from '../../../main/api/contract';
import { request } from '../../api';
import { announce, useHub } from '../hooks';
import { VirtualList } from '../VirtualList';
import { ContactDetail, type Notice } from './contacts/ContactDetail';
import { ContactForm } from './contacts/ContactForm';
import { formatPhone } from './contacts/format';
import { ImportDialog } from './contacts/ImportDialog';
import { useContactPages } from './contacts/useContactPages';
import './contacts/contacts.css';

const ROW_HEIGHT = 52;

export function ContactsScreen() {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const [openGuid, setOpenGuid] = useState<string | null>(null);
  /** The contact just added or saved: its detail takes the focus when shown. */
  const [focusGuid, setFocusGuid] = useState<string | null>(null);
  const [mode, setMode] = useState<'view' | 'edit' | 'add'>('view');
  const [preview, setPreview] = useState<{ text: string; file: string; preview: ImportPreview } | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [exportVersion, setExportVersion] = useState<VCardVersion>('3.0');
  const { total, row, onRange, shown } = useContactPages(query);
  const region = useHub('app:info', {}, ['settings']).value?.region ?? 'GB';
  const fileInput = useRef<HTMLInputElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const tel = (v: string) => formatPhone(v, region);

  const open = (i: number) => {
    const r = row(i);
    if (r) {
      setNotice(null);
      setOpenGuid(r.guid);
      setFocusGuid(null);
      setMode('view');
    }
  };

  const onImportFile = async (file: File) => {
    const text = await file.text();
    try {
      const p = await request('contacts:importPreview', { text });
      setPreview({ text, file: file.name, preview: p });
    } catch (e) {
      setNotice({ kind: 'error', text: (e as Error).message });
    }
  };

  const exportAll = async () => {
    setNotice(null);
    try {
      const f = await request('contacts:export', { version: exportVersion });
      const url = URL.createObjectURL(new Blob([f.text], { type: 'text/vcard' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = f.filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setNotice({ kind: 'ok', text: `Exported ${f.count} contacts to ${f.filename}.` });
      announce(`Exported ${f.count} contacts.`);
    } catch (e) {
      setNotice({ kind: 'error', text: (e as Error).message });
    }
  };

  return (
    <section aria-labelledby="screen-heading" className="screen contacts">
      <div className="screen-head">
        <h2 id="screen-heading" tabIndex={-1}>
          Contacts
        </h2>
        <div className="toolbar">
          <button
            type="button"
            ref={addButton}
            onClick={() => {
              setNotice(null);
              setMode('add');
              setOpenGuid(null);
            }}
          >
            Add contact
          </button>
          <button
            type="button"
            onClick={() => {
              setNotice(null);
              fileInput.current?.click();
            }}
          >
            Import vCard…
          </button>
          <input
            ref={fileInput}
            type="file"
            accept=".vcf,text/vcard,text/x-vcard"
            className="visually-hidden"
            aria-label="vCard file to import"
            data-testid="import-file"
            tabIndex={-1}
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void onImportFile(f);
              e.target.value = '';
            }}
          />
          <label className="inline">
            <span className="visually-hidden">vCard version for export</span>
            <select value={exportVersion} onChange={(e) => setExportVersion(e.target.value as VCardVersion)}>
              <option value="2.1">vCard 2.1</option>
              <option value="3.0">vCard 3.0</option>
              <option value="4.0">vCard 4.0</option>
            </select>
          </label>
          <button type="button" onClick={exportAll}>
            Export all
          </button>
        </div>
      </div>
      {/* The alert region is always there, so an error put in it is announced (a success is
          announced through the app's live region). */}
      <div className="notice-area">
        {notice?.kind === 'ok' && <Message notice={notice} onDismiss={() => setNotice(null)} />}
        <div role="alert">{notice?.kind === 'error' && <Message notice={notice} onDismiss={() => setNotice(null)} />}</div>
      </div>
      <div className="split">
        <div className="list-pane" data-query={shown ?? undefined}>
          <label className="search">
            <span className="visually-hidden">Search contacts by name, number or e-mail</span>
            <input
              type="search"
              placeholder="Search names, numbers, e-mails"
              value={query}
              onChange={(e) => {
                setQuery(e.target.value);
                setActive(0);
              }}
              onKeyDown={(e) => {
                if (e.key === 'ArrowDown') {
                  e.preventDefault();
                  (document.querySelector('.vlist') as HTMLElement | null)?.focus();
                }
              }}
            />
          </label>
          <p className="count" aria-live="polite" data-testid="contact-count">
            {/* Counts what is on screen: the shown query's total, not the one being typed. */}
            {total === null ? 'Loading…' : shown ? `${total.toLocaleString()} found` : `${total.toLocaleString()} contacts`}
          </p>
          <VirtualList
            idPrefix="contact"
            label="Contacts"
            total={total ?? 0}
            rowHeight={ROW_HEIGHT}
            active={active}
            onActive={setActive}
            onOpen={open}
            onRange={onRange}
            // A loaded row is named by its own words (axe: label-content-name-mismatch, also when
            // a narrow window clips the end of its name or number).
            rowLabel={(i) => (row(i) ? undefined : 'Loading')}
            renderRow={(i) => {
              const r = row(i);
              if (!r) return <span className="muted">…</span>;
              return (
                <>
                  <span className="row-name">{r.name}</span>
                  {/* A space between name and number: the option's text reads as its label does. */}{' '}
                  <span className="row-sub">{[tel(r.tel), r.email].filter(Boolean).join(', ')}</span>
                </>
              );
            }}
          />
        </div>
        <div className="detail-pane">
          {mode === 'add' && (
            <ContactForm
              title="New contact"
              region={region}
              onCancel={() => {
                setMode('view');
                addButton.current?.focus();
              }}
              onSaved={(guid, name) => {
                // The new contact is opened, so the user sees what was saved.
                setMode('view');
                setOpenGuid(guid);
                setFocusGuid(guid);
                setNotice({ kind: 'ok', text: `${name || 'The contact'} was added.` });
                announce('Contact added.');
              }}
            />
          )}
          {mode !== 'add' && openGuid && (
            <ContactDetail
              key={openGuid}
              guid={openGuid}
              region={region}
              focus={focusGuid === openGuid}
              editing={mode === 'edit'}
              setMode={setMode}
              notify={setNotice}
              onDeleted={() => {
                setOpenGuid(null);
                // The detail is gone: the list keeps the focus, not the page's body.
                setTimeout(() => (document.querySelector('.screen.contacts .vlist') as HTMLElement | null)?.focus(), 0);
              }}
            />
          )}
          {mode !== 'add' && !openGuid && <p className="muted empty">Choose a contact to see its details.</p>}
        </div>
      </div>
      {preview && (
        <ImportDialog
          file={preview.file}
          preview={preview.preview}
          onClose={() => setPreview(null)}
          onImport={async (skip) => {
            const r = await request('contacts:import', { text: preview.text, skip });
            setPreview(null);
            const msg = `Imported ${preview.file}: ${r.added} added, ${r.updated} updated, ${r.skipped} skipped.`;
            setNotice({ kind: 'ok', text: msg });
            announce(msg);
          }}
        />
      )}
    </section>
  );
}

function Message({ notice, onDismiss }: { notice: Notice; onDismiss: () => void }) {
  return (
    <p className={`notice ${notice.kind}`} data-testid="contacts-notice">
      <span>{notice.text}</span>
      <button type="button" className="link" onClick={onDismiss}>
        Dismiss
      </button>
    </p>
  );
}
