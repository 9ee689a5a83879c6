// The editor of one contact (new or existing).
import { useState } from 'react';
import type { Contact, TypedValue } from '../../../../main/api/contract';

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

export function ContactForm({ title, initial, onSave, onCancel }: { title: string; initial?: Contact; onSave: (c: Partial<Contact>) => Promise<void>; onCancel: () => void }) {
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
