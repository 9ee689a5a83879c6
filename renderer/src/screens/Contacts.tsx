// Contacts: a windowed list of the whole truth (100,000 is fine), instant search, a detail
// view, add/edit/delete through the hub's editor, vCard import with a preview and export.
import { useRef, useState } from 'react';
import type { ImportPreview, VCardVersion } from '../../../main/api/contract';
import { request } from '../../api';
import { announce } from '../hooks';
import { VirtualList } from '../VirtualList';
import { ContactDetail } from './contacts/ContactDetail';
import { ContactForm } from './contacts/ContactForm';
import { ImportDialog } from './contacts/ImportDialog';
import { useContactPages } from './contacts/useContactPages';

const ROW_HEIGHT = 52;

export function ContactsScreen() {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const [openGuid, setOpenGuid] = useState<string | null>(null);
  const [mode, setMode] = useState<'view' | 'edit' | 'add'>('view');
  const [preview, setPreview] = useState<{ text: string; file: string; preview: ImportPreview } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [exportVersion, setExportVersion] = useState<VCardVersion>('3.0');
  const { total, row, onRange, shown } = useContactPages(query);
  const fileInput = useRef<HTMLInputElement>(null);

  const open = (i: number) => {
    const r = row(i);
    if (r) {
      setOpenGuid(r.guid);
      setMode('view');
    }
  };

  const onImportFile = async (file: File) => {
    const text = await file.text();
    try {
      const p = await request('contacts:importPreview', { text });
      setPreview({ text, file: file.name, preview: p });
    } catch (e) {
      setMessage((e as Error).message);
    }
  };

  const exportAll = async () => {
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
      setMessage(`Exported ${f.count} contacts to ${f.filename}.`);
      announce(`Exported ${f.count} contacts.`);
    } catch (e) {
      setMessage((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="screen-heading" className="screen contacts">
      <div className="screen-head">
        <h2 id="screen-heading" tabIndex={-1}>
          Contacts
        </h2>
        <div className="toolbar">
          <button type="button" onClick={() => { setMode('add'); setOpenGuid(null); }}>
            Add contact
          </button>
          <button type="button" onClick={() => fileInput.current?.click()}>
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
      {message && (
        <p className="note" role="status">
          {message}
        </p>
      )}
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
            rowLabel={(i) => {
              const r = row(i);
              return r ? [r.name, r.tel, r.email].filter(Boolean).join(', ') : 'Loading';
            }}
            renderRow={(i) => {
              const r = row(i);
              if (!r) return <span className="muted">…</span>;
              return (
                <>
                  <span className="row-name">{r.name}</span>
                  <span className="row-sub">{[r.tel, r.email].filter(Boolean).join(' · ')}</span>
                </>
              );
            }}
          />
        </div>
        <div className="detail-pane">
          {mode === 'add' && (
            <ContactForm
              title="New contact"
              onCancel={() => setMode('view')}
              onSave={async (c) => {
                await request('contacts:add', { contact: c });
                setMode('view');
                setMessage(`${c.fn || 'The contact'} was added.`);
                announce('Contact added.');
              }}
            />
          )}
          {mode !== 'add' && openGuid && <ContactDetail key={openGuid} guid={openGuid} editing={mode === 'edit'} setMode={setMode} onDeleted={() => setOpenGuid(null)} />}
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
            setMessage(msg);
            announce(msg);
          }}
        />
      )}
    </section>
  );
}
