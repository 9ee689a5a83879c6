// Contacts: a windowed list of the whole truth (100,000 is fine), instant search, a detail
// view, add/edit/delete through the hub's editor, vCard import with a preview and export.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Contact, ContactRow, ContactSummary, ImportPreview, TypedValue, VCardVersion } from '../../../main/api/contract';
import { client, request } from '../../api';
import { announce } from '../hooks';
import { VirtualList } from '../VirtualList';

const PAGE = 200;
const ROW_HEIGHT = 52;

/** Pages of the current query's results, fetched as they scroll into view. */
function useContactPages(query: string) {
  const [total, setTotal] = useState<number | null>(null);
  /** The query whose results are on screen (the list's data-query; the benchmark waits on it). */
  const [shown, setShown] = useState<string | null>(null);
  const [, setVersion] = useState(0);
  const pages = useRef(new Map<number, ContactSummary[]>());
  const inflight = useRef(new Set<number>());
  const gen = useRef(0);
  const range = useRef<[number, number]>([0, 0]);

  const fetchPage = useCallback((page: number, myGen: number) => {
    if (inflight.current.has(page) || pages.current.has(page)) return;
    inflight.current.add(page);
    void client.call('contacts:list', { offset: page * PAGE, limit: PAGE, query }).then((r) => {
      if (myGen !== gen.current) return;
      inflight.current.delete(page);
      if (!r.ok) return;
      pages.current.set(page, r.value.rows);
      setTotal(r.value.total);
      setVersion((v) => v + 1);
    });
  }, [query]);

  const reset = useCallback(() => {
    const myGen = ++gen.current;
    // Keep showing the old rows until the new first page arrives (no flash of empty list).
    const keep = pages.current;
    pages.current = new Map();
    inflight.current = new Set();
    const [a, b] = range.current;
    const firstPage = Math.floor(a / PAGE);
    void client.call('contacts:list', { offset: firstPage * PAGE, limit: PAGE, query }).then((r) => {
      if (myGen !== gen.current) return;
      if (!r.ok) {
        pages.current = keep;
        return;
      }
      pages.current.set(firstPage, r.value.rows);
      setTotal(r.value.total);
      setShown(query);
      setVersion((v) => v + 1);
      for (let pg = firstPage + 1; pg <= Math.floor(b / PAGE); pg++) fetchPage(pg, myGen);
    });
  }, [query, fetchPage]);

  useEffect(() => {
    range.current = [0, 40];
    reset();
  }, [reset]);
  useEffect(() => client.on('hub:changed', (k) => k === 'contacts' && reset()), [reset]);

  const onRange = useCallback(
    (first: number, last: number) => {
      range.current = [first, last];
      for (let pg = Math.floor(first / PAGE); pg <= Math.floor(last / PAGE); pg++) fetchPage(pg, gen.current);
    },
    [fetchPage],
  );
  const row = (i: number): ContactSummary | undefined => pages.current.get(Math.floor(i / PAGE))?.[i % PAGE];
  return { total, row, onRange, shown };
}

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

const FIELD_LABELS: Record<string, string> = { tel: 'Phone', email: 'E-mail', adr: 'Address', url: 'Web' };

function ContactDetail({ guid, editing, setMode, onDeleted }: { guid: string; editing: boolean; setMode: (m: 'view' | 'edit') => void; onDeleted: () => void }) {
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

const TYPES = ['cell', 'home', 'work', ''];

function ValuesEditor({ legend, kind, values, onChange }: { legend: string; kind: 'tel' | 'email'; values: TypedValue[]; onChange: (v: TypedValue[]) => void }) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {values.map((v, i) => (
        <div className="value-row" key={i}>
          <label>
            <span className="visually-hidden">
              {legend} {i + 1} type
            </span>
            <select value={TYPES.includes(v.type) ? v.type : ''} onChange={(e) => onChange(values.map((x, j) => (j === i ? { ...x, type: e.target.value } : x)))}>
              {TYPES.map((t) => (
                <option key={t} value={t}>
                  {t === '' ? 'other' : t === 'cell' ? 'mobile' : t}
                </option>
              ))}
            </select>
          </label>
          <label className="grow">
            <span className="visually-hidden">
              {legend} {i + 1}
            </span>
            <input
              type={kind === 'tel' ? 'tel' : 'email'}
              value={v.value}
              name={`${kind}-${i}`}
              onChange={(e) => onChange(values.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
            />
          </label>
          <button type="button" aria-label={`Remove ${legend.toLowerCase()} ${i + 1}`} onClick={() => onChange(values.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...values, { type: kind === 'tel' ? 'cell' : 'home', value: '' }])}>
        Add {kind === 'tel' ? 'number' : 'e-mail'}
      </button>
    </fieldset>
  );
}

function ContactForm({ title, initial, onSave, onCancel }: { title: string; initial?: Contact; onSave: (c: Partial<Contact>) => Promise<void>; onCancel: () => void }) {
  const [fn, setFn] = useState(initial?.fn ?? '');
  const [tel, setTel] = useState<TypedValue[]>(initial?.tel.length ? initial.tel : [{ type: 'cell', value: '' }]);
  const [email, setEmail] = useState<TypedValue[]>(initial?.email ?? []);
  const [org, setOrg] = useState(initial?.org ?? '');
  const [jobTitle, setJobTitle] = useState(initial?.title ?? '');
  const [note, setNote] = useState(initial?.note ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const c: Partial<Contact> = {
      ...(initial ?? {}),
      fn: fn.trim(),
      tel: tel.filter((t) => t.value.trim()),
      email: email.filter((t) => t.value.trim()),
      org: org.trim(),
      title: jobTitle.trim(),
      note,
    };
    if (!c.fn && !c.tel?.length && !c.email?.length) {
      setError('A contact needs a name, a number or an e-mail.');
      return;
    }
    setBusy(true);
    try {
      await onSave(c);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <form className="contact-form" onSubmit={submit} aria-labelledby="form-title">
      <h3 id="form-title">{title}</h3>
      <label>
        Name
        <input name="fn" value={fn} onChange={(e) => setFn(e.target.value)} autoFocus />
      </label>
      <ValuesEditor legend="Phone numbers" kind="tel" values={tel} onChange={setTel} />
      <ValuesEditor legend="E-mails" kind="email" values={email} onChange={setEmail} />
      <label>
        Organisation
        <input name="org" value={org} onChange={(e) => setOrg(e.target.value)} />
      </label>
      <label>
        Job title
        <input name="title" value={jobTitle} onChange={(e) => setJobTitle(e.target.value)} />
      </label>
      <label>
        Note
        <textarea name="note" value={note} rows={3} onChange={(e) => setNote(e.target.value)} />
      </label>
      {error && <p role="alert" className="error-text">{error}</p>}
      <div className="toolbar">
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <p className="muted small">Changes are saved in Concord and sent to your devices at their next sync.</p>
    </form>
  );
}

function ImportDialog({ file, preview, onImport, onClose }: { file: string; preview: ImportPreview; onImport: (skip: number[]) => Promise<void>; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [unticked, setUnticked] = useState<Set<number>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const doing = preview.items.filter((i) => i.action !== 'skip' && !unticked.has(i.index)).length;
  const label = { add: 'Add', update: 'Update', skip: 'Skip (duplicate)' } as const;
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="import-title" onClose={onClose}>
      <h3 id="import-title">Import {file}</h3>
      <p data-testid="import-summary">
        {preview.counts.add} to add, {preview.counts.update} to update, {preview.counts.skip} to skip as duplicates. Nothing is written until you choose Import. An import never removes or overwrites what a contact already has.
      </p>
      {preview.errors.length > 0 && (
        <ul className="error-text">
          {preview.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Import</th>
              <th scope="col">Contact</th>
              <th scope="col">What happens</th>
            </tr>
          </thead>
          <tbody>
            {preview.items.map((it) => (
              <tr key={it.index} className={`import-${it.action}`} data-action={it.action}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Import ${it.name}`}
                    disabled={it.action === 'skip'}
                    checked={it.action !== 'skip' && !unticked.has(it.index)}
                    onChange={(e) => {
                      const next = new Set(unticked);
                      if (e.target.checked) next.delete(it.index);
                      else next.add(it.index);
                      setUnticked(next);
                    }}
                  />
                </td>
                <td>{it.name}</td>
                <td>
                  <strong>{label[it.action]}</strong> — {it.reason}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {error && <p role="alert" className="error-text">{error}</p>}
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          disabled={busy || doing === 0}
          onClick={async () => {
            setBusy(true);
            try {
              await onImport([...unticked]);
            } catch (e) {
              setError((e as Error).message);
              setBusy(false);
            }
          }}
        >
          Import {doing} {doing === 1 ? 'contact' : 'contacts'}
        </button>
        <button type="button" onClick={() => ref.current?.close()}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
