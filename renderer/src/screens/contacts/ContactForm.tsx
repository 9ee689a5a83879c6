// The editor of one contact, new or existing: every field the detail view shows. What the
// hub would refuse is said next to the field it is about (checked as the user types, shown
// once the field is left or Save is pressed), and a device the contact will not fit on (a
// SIM that cuts names, a full phonebook) is a warning that does not stop the save.
import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Contact, ContactCheck, FieldProblem, FitWarning, TypedValue } from '../../../../main/api/contract';
import { client } from '../../../api';
import { addressParts, addressValue, formatPhone } from './format';
import './contacts.css';

type ListKind = 'tel' | 'email' | 'url';
interface Address {
  type: string;
  parts: string[];
}

const TYPES: Record<ListKind | 'adr', string[]> = {
  tel: ['cell', 'home', 'work', ''],
  email: ['home', 'work', ''],
  url: ['', 'home', 'work'],
  adr: ['home', 'work', ''],
};
const TYPE_WORDS: Record<string, string> = { cell: 'mobile', home: 'home', work: 'work', '': 'other' };
const LIST_WORDS: Record<ListKind | 'adr', { legend: string; one: string; add: string; input: 'tel' | 'email' | 'url' | 'text' }> = {
  tel: { legend: 'Phone numbers', one: 'Phone number', add: 'Add number', input: 'tel' },
  email: { legend: 'E-mails', one: 'E-mail', add: 'Add e-mail', input: 'email' },
  url: { legend: 'Web addresses', one: 'Web address', add: 'Add web address', input: 'url' },
  adr: { legend: 'Addresses', one: 'Address', add: 'Add address', input: 'text' },
};
/** The parts of an address the form shows (indexes into the ADR components); the post
 *  office box and extended parts a device sent are kept as they are. */
const ADR_FIELDS = [
  { part: 2, label: 'Street' },
  { part: 3, label: 'Town or city' },
  { part: 4, label: 'County or state' },
  { part: 5, label: 'Postcode' },
  { part: 6, label: 'Country' },
] as const;

export interface ContactFormProps {
  title: string;
  /** The contact being edited; absent for a new one. */
  guid?: string;
  initial?: Contact;
  region: string;
  /** Saved: the contact's guid (a new contact's queued guid) and the name it was saved with. */
  onSaved: (guid: string, name: string) => void;
  onCancel: () => void;
}

/** What the form sends, and for each list which form row each sent value came from (blank
 *  rows are not sent, so the hub's `tel[1]` may be the form's third row). */
function build(s: FormState, initial: Contact | undefined): { contact: Partial<Contact>; rows: Record<ListKind | 'adr', number[]> } {
  const rows = { tel: [] as number[], email: [] as number[], url: [] as number[], adr: [] as number[] };
  const keep = (kind: ListKind, values: TypedValue[]) =>
    values.flatMap((v, i) => {
      if (!v.value.trim()) return [];
      rows[kind].push(i);
      return [{ type: v.type, value: v.value.trim() }];
    });
  const adr = s.adr.flatMap((a, i) => {
    const value = addressValue(a.parts.map((p) => p.trim()));
    if (!value) return [];
    rows.adr.push(i);
    return [{ type: a.type, value }];
  });
  const fn = s.fn.trim();
  const renamed = initial !== undefined && fn !== (initial.fn || nameOf(initial));
  const contact: Partial<Contact> = {
    ...(initial ?? {}),
    fn,
    // A new name replaces the structured one, which is derived from it again.
    ...(renamed ? { n: [] } : {}),
    tel: keep('tel', s.tel),
    email: keep('email', s.email),
    url: keep('url', s.url),
    adr,
    org: s.org.trim(),
    title: s.title.trim(),
    bday: s.bday.trim(),
    note: s.note.trim(),
  };
  return { contact, rows };
}

function nameOf(c: Contact): string {
  const [family = '', given = ''] = c.n;
  return `${given} ${family}`.trim();
}

interface FormState {
  fn: string;
  tel: TypedValue[];
  email: TypedValue[];
  url: TypedValue[];
  adr: Address[];
  org: string;
  title: string;
  bday: string;
  note: string;
}

function initialState(c: Contact | undefined, region: string): FormState {
  return {
    fn: c ? c.fn || nameOf(c) : '',
    tel: c?.tel.length ? c.tel.map((t) => ({ ...t, value: formatPhone(t.value, region) })) : [{ type: 'cell', value: '' }],
    email: c?.email.map((t) => ({ ...t })) ?? [],
    url: c?.url.map((t) => ({ ...t })) ?? [],
    adr: c?.adr.map((a) => ({ type: a.type, parts: addressParts(a.value) })) ?? [],
    org: c?.org ?? '',
    title: c?.title ?? '',
    bday: c?.bday ?? '',
    note: c?.note ?? '',
  };
}

/** The form's id of the input a hub field name is about. */
function inputId(prefix: string, field: string, rows: Record<ListKind | 'adr', number[]>): string {
  const m = /^(tel|email|url|adr)\[(\d+)\]$/.exec(field);
  if (m) {
    const kind = m[1] as ListKind | 'adr';
    const i = Number(m[2]);
    return `${prefix}-${kind}-${rows[kind][i] ?? i}`;
  }
  return `${prefix}-${field === 'n' ? 'fn' : field}`;
}

export function ContactForm({ title, guid, initial, region, onSaved, onCancel }: ContactFormProps) {
  const prefix = `cf${useId().replace(/[^a-zA-Z0-9]/g, '')}`;
  const [s, setS] = useState<FormState>(() => initialState(initial, region));
  /** The hub's answer for the form as it was (`key`): problems of an older state are not
   *  shown, its warnings are until the new answer comes. */
  const [check, setCheck] = useState<{ key: string; problems: FieldProblem[]; warnings: FitWarning[] }>({ key: '', problems: [], warnings: [] });
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [focusTarget, setFocusTarget] = useState<{ id: string } | null>(null);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setS((old) => ({ ...old, [k]: v }));

  const { contact, rows } = useMemo(() => build(s, initial), [s, initial]);
  const key = JSON.stringify(contact);
  const gen = useRef(0);
  useEffect(() => {
    const mine = ++gen.current;
    const timer = setTimeout(() => {
      void client.call('contacts:check', guid ? { contact, guid } : { contact }).then((r) => {
        if (mine === gen.current && r.ok) setCheck({ key, ...(r.value as ContactCheck) });
      });
    }, 200);
    return () => clearTimeout(timer);
    // `key` stands for `contact` (a new object on every render).
  }, [key, guid]);
  useEffect(() => {
    if (focusTarget) document.getElementById(focusTarget.id)?.focus();
  }, [focusTarget]);

  const byInput = (list: { field?: string; message: string }[]) => {
    const out = new Map<string, string[]>();
    for (const p of list) {
      if (p.field === undefined) continue;
      const id = inputId(prefix, p.field, rows);
      out.set(id, [...(out.get(id) ?? []), p.message]);
    }
    return out;
  };
  const current = check.key === key ? check.problems : [];
  const problems = byInput(current.filter((p) => submitted || touched.has(inputId(prefix, p.field, rows))));
  const warnings = byInput(check.warnings);
  const general = check.warnings.filter((w) => w.field === undefined);
  const leave = (id: string) => () => setTouched((t) => (t.has(id) ? t : new Set(t).add(id)));

  /** The attributes that tie an input to what is said about it. */
  const about = (id: string) => {
    const ids = [problems.has(id) && `${id}-error`, warnings.has(id) && `${id}-warn`].filter(Boolean).join(' ');
    return { id, 'aria-invalid': problems.has(id) || undefined, 'aria-describedby': ids || undefined, onBlur: leave(id) };
  };
  const said = (id: string): ReactNode => (
    <>
      {problems.has(id) && (
        <span className="cf-error" id={`${id}-error`}>
          {problems.get(id)!.join(' ')}
        </span>
      )}
      {warnings.has(id) && (
        <span className="cf-warn" id={`${id}-warn`}>
          {warnings.get(id)!.join(' ')}
        </span>
      )}
    </>
  );

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setError(null);
    setBusy(true);
    const r = guid ? await client.call('contacts:update', { guid, contact }) : await client.call('contacts:add', { contact });
    setBusy(false);
    if (r.ok) {
      onSaved(guid ?? (r.value as { queued: string }).queued, contact.fn || '');
      return;
    }
    if (r.error.problems?.length) {
      setCheck((c) => ({ ...c, key, problems: r.error.problems! }));
      setFocusTarget({ id: inputId(prefix, r.error.problems[0]!.field, rows) });
      setError(r.error.problems.length === 1 ? 'Correct the marked field, then save again.' : `Correct the ${r.error.problems.length} marked fields, then save again.`);
    } else {
      setError(r.error.message);
    }
  };

  const single = (field: 'fn' | 'org' | 'title', label: string, extra: Record<string, unknown> = {}) => {
    const id = `${prefix}-${field}`;
    return (
      <div className="cf-field">
        <label htmlFor={id}>{label}</label>
        <input name={field} value={s[field]} onChange={(e) => set(field, e.target.value)} {...about(id)} {...extra} />
        {said(id)}
      </div>
    );
  };

  const list = (kind: ListKind) => {
    const w = LIST_WORDS[kind];
    const values = s[kind];
    return (
      <fieldset className="cf-list">
        <legend>{w.legend}</legend>
        {values.map((v, i) => {
          const id = `${prefix}-${kind}-${i}`;
          return (
            <div className="cf-value" key={i}>
              <div className="cf-row">
                <select
                  aria-label={`${w.legend} ${i + 1} type`}
                  value={TYPES[kind].includes(v.type) ? v.type : ''}
                  onChange={(e) => set(kind, values.map((x, j) => (j === i ? { ...x, type: e.target.value } : x)))}
                >
                  {TYPES[kind].map((t) => (
                    <option key={t} value={t}>
                      {TYPE_WORDS[t]}
                    </option>
                  ))}
                </select>
                <input
                  className="cf-grow"
                  type={w.input}
                  aria-label={`${w.legend} ${i + 1}`}
                  name={`${kind}-${i}`}
                  value={v.value}
                  autoComplete="off"
                  onChange={(e) => set(kind, values.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
                  {...about(id)}
                />
                <button type="button" aria-label={`Remove ${w.one.toLowerCase()} ${i + 1}`} onClick={() => set(kind, values.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </div>
              {said(id)}
            </div>
          );
        })}
        <button type="button" className="cf-add" onClick={() => set(kind, [...values, { type: TYPES[kind][0]!, value: '' }])}>
          {w.add}
        </button>
      </fieldset>
    );
  };

  const addresses = () => {
    const w = LIST_WORDS.adr;
    return (
      <fieldset className="cf-list">
        <legend>{w.legend}</legend>
        {s.adr.map((a, i) => {
          const id = `${prefix}-adr-${i}`;
          const put = (part: number, text: string) => set('adr', s.adr.map((x, j) => (j === i ? { ...x, parts: x.parts.map((p, k) => (k === part ? text : p)) } : x)));
          return (
            <div className="cf-value cf-address" key={i} role="group" aria-label={`${w.one} ${i + 1}`}>
              <div className="cf-row">
                <select aria-label={`${w.one} ${i + 1} type`} value={TYPES.adr.includes(a.type) ? a.type : ''} onChange={(e) => set('adr', s.adr.map((x, j) => (j === i ? { ...x, type: e.target.value } : x)))}>
                  {TYPES.adr.map((t) => (
                    <option key={t} value={t}>
                      {TYPE_WORDS[t]}
                    </option>
                  ))}
                </select>
                <button type="button" aria-label={`Remove address ${i + 1}`} onClick={() => set('adr', s.adr.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </div>
              {ADR_FIELDS.map((f, k) => (
                <label key={f.part} className="cf-adr-part">
                  <span>{f.label}</span>
                  <input value={a.parts[f.part] ?? ''} name={`adr-${i}-${f.part}`} onChange={(e) => put(f.part, e.target.value)} {...(k === 0 ? about(id) : {})} />
                </label>
              ))}
              {said(id)}
            </div>
          );
        })}
        <button type="button" className="cf-add" onClick={() => set('adr', [...s.adr, { type: 'home', parts: ['', '', '', '', '', '', ''] }])}>
          {w.add}
        </button>
      </fieldset>
    );
  };

  const bdayId = `${prefix}-bday`;
  const noteId = `${prefix}-note`;
  const bday = about(bdayId);
  return (
    <form
      className="contact-form cf"
      onSubmit={submit}
      aria-labelledby={`${prefix}-title`}
      noValidate
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onCancel();
        }
      }}
    >
      <h3 id={`${prefix}-title`}>{title}</h3>
      {single('fn', 'Name', { autoFocus: true, autoComplete: 'off' })}
      {list('tel')}
      {list('email')}
      {single('org', 'Organisation')}
      {single('title', 'Job title')}
      {addresses()}
      <div className="cf-field">
        <label htmlFor={bdayId}>Birthday</label>
        <input name="bday" value={s.bday} onChange={(e) => set('bday', e.target.value)} {...bday} aria-describedby={[`${bdayId}-hint`, bday['aria-describedby']].filter(Boolean).join(' ')} />
        <span className="muted small" id={`${bdayId}-hint`}>
          Year-month-day, like 1985-04-23; --04-23 without the year.
        </span>
        {said(bdayId)}
      </div>
      {list('url')}
      <div className="cf-field">
        <label htmlFor={noteId}>Note</label>
        <textarea name="note" value={s.note} rows={3} onChange={(e) => set('note', e.target.value)} {...about(noteId)} />
        {said(noteId)}
      </div>
      {general.length > 0 && (
        <ul className="cf-warnings" aria-label="Devices this contact will not fit on">
          {general.map((w) => (
            <li key={w.spid} className="cf-warn">
              {w.message}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
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
