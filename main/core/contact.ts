// The contact model of the method and its data elements (sync-method.md, "data element").
//
// A contact is kept in one normalized shape everywhere in the hub. Multi-valued fields are
// lists of typed values; a value's data element is named by its field, its type label and
// its position among values of that type, so changing the number in a slot updates that
// element, a new slot adds one and a vanished slot deletes one.
import { getCountries, getCountryCallingCode, Metadata, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/** One value of a multi-valued field. `type` is the canonical label set: lower case,
 *  sorted, comma-joined (`'fax,work'`), `''` when the device gave none. */
export interface TypedValue {
  type: string;
  value: string;
}

/** A property Concord does not model, carried losslessly (vCard name, raw parameters and
 *  raw value as the device sent them). */
export interface ExtraProperty {
  name: string;
  params: string;
  value: string;
}

export interface Contact {
  /** Formatted name. */
  fn: string;
  /** Structured name: [family, given, additional, prefix, suffix]; trailing empties trimmed. */
  n: string[];
  tel: TypedValue[];
  email: TypedValue[];
  /** Addresses; the value is the vCard ADR components joined by ';' (escaped as in vCard). */
  adr: TypedValue[];
  org: string;
  title: string;
  bday: string;
  note: string;
  url: TypedValue[];
  extra: ExtraProperty[];
}

export const SINGLE_FIELDS = ['fn', 'n', 'org', 'title', 'bday', 'note'] as const;
export const LIST_FIELDS = ['tel', 'email', 'adr', 'url'] as const;
export type SingleField = (typeof SINGLE_FIELDS)[number];
export type ListField = (typeof LIST_FIELDS)[number];
/** Every field a device capacity can name; `extra` is the bag of unmodelled properties. */
export type Field = SingleField | ListField | 'extra';
export const FIELDS: readonly Field[] = [...SINGLE_FIELDS, ...LIST_FIELDS, 'extra'];

export function emptyContact(): Contact {
  return { fn: '', n: [], tel: [], email: [], adr: [], org: '', title: '', bday: '', note: '', url: [], extra: [] };
}

/** Builds a full contact from a partial one (missing fields empty). */
export function contactOf(partial: Partial<Contact>): Contact {
  const c = emptyContact();
  return {
    ...c,
    ...partial,
    n: [...(partial.n ?? [])],
    tel: [...(partial.tel ?? [])],
    email: [...(partial.email ?? [])],
    adr: [...(partial.adr ?? [])],
    url: [...(partial.url ?? [])],
    extra: [...(partial.extra ?? [])],
  };
}

// ---------------------------------------------------------------------------------------
// Normalization: NFC, white space folded, phone numbers in E.164, canonical type labels.

/** NFC, runs of spaces and tabs folded to one space, trimmed. Line breaks are kept (a
 *  note's paragraphs are the user's), but CRLF becomes LF. */
export function foldText(s: string): string {
  if (s === '') return s;
  return s
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\u00a0\u2000-\u200b\u3000]+/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
}

/** Single-line text: every kind of white space, line breaks included, folded. */
export function foldLine(s: string): string {
  if (s === '') return s;
  return s.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

const TYPE_SYNONYMS: Record<string, string> = {
  mobile: 'cell',
  cellular: 'cell',
  mob: 'cell',
  m: 'cell',
  w: 'work',
  h: 'home',
  business: 'work',
  office: 'work',
  private: 'home',
  facsimile: 'fax',
};
/** Labels that say nothing a user would miss: a TEL is a voice number, an EMAIL internet. */
const IMPLIED_TYPES = new Set(['voice', 'internet', 'x400']);

export function canonicalType(type: string): string {
  // Devices use a handful of labels, over and over.
  let out = typeMemo.get(type);
  if (out === undefined) {
    out = parseType(type);
    if (typeMemo.size >= 10_000) typeMemo.clear();
    typeMemo.set(type, out);
  }
  return out;
}
const typeMemo = new Map<string, string>();

function parseType(type: string): string {
  const labels = new Set<string>();
  for (const raw of type.split(/[,;\s]+/)) {
    let t = raw.trim().toLowerCase();
    if (t.startsWith('type=')) t = t.slice(5);
    t = t.replace(/^"|"$/g, '');
    if (!t || IMPLIED_TYPES.has(t)) continue;
    labels.add(TYPE_SYNONYMS[t] ?? t);
  }
  return [...labels].sort().join(',');
}

/** The same text as one flat string. V8 keeps a string built by concatenation as a tree of
 *  its pieces until something reads it by index (a 36-character GUID built from hex bytes
 *  takes ~350 bytes so, ~70 flat); reading one character flattens it, and the collector
 *  then drops the pieces. For strings the hub keeps by the hundred thousand. */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/** E.164 when the number parses as a possible number with the default region; otherwise
 *  the text folded, so nothing the user typed is lost. */
export function normalizePhone(raw: string, region: string): string {
  if (region !== memoRegion) {
    phoneMemo.clear();
    memoRegion = region;
  }
  const hit = phoneMemo.get(raw);
  if (hit !== undefined) return hit;
  const out = flat(parsePhone(raw, region));
  if (phoneMemo.size >= PHONE_MEMO_MAX) phoneMemo.clear();
  phoneMemo.set(raw, out);
  return out;
}

// Parsing a number costs tens of microseconds; a run sees the same numbers again and again
// (a snapshot device lists every entry every time).
const PHONE_MEMO_MAX = 50_000;
// (Of one region at a time: a hub has one default region.)
const phoneMemo = new Map<string, string>();
let memoRegion = '';
/** Already E.164 (what the hub stores and writes back): kept as it is. */
const E164 = /^\+[1-9]\d{6,14}$/;

// ---- a fast path for the plain cases ---------------------------------------------------
// libphonenumber spends most of its time working out which of the countries sharing a
// calling code a number belongs to, which E.164 does not need. A number written plainly —
// international with '+', or national with the region's one trunk prefix — is put in E.164
// by the rules below, which give the same result as libphonenumber for such numbers (a test
// compares them on thousands of numbers); anything else takes the full parse.

const metadata = new Metadata();
const CALLING_CODES = new Set(getCountries().map((c) => getCountryCallingCode(c)));
const PLAIN = /^[+\d][\d\s\-./()\u00a0]*$/;

interface Plan {
  cc: string;
  trunk: string | null;
  /** Other prefixes libphonenumber strips in national numbers (a number starting with one
   *  of them takes the full parse). */
  otherPrefixes: string[];
  lengths: number[];
}
const plans = new Map<string, Plan | null>();

/** The part of libphonenumber's numbering-plan object used here (its typings omit it). */
interface NumberingPlanApi {
  callingCode(): string;
  nationalPrefix(): string | undefined;
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  possibleLengths(): number[];
}

function planOf(regionOrCode: string): Plan | null {
  let plan = plans.get(regionOrCode);
  if (plan !== undefined) return plan;
  plan = null;
  try {
    metadata.selectNumberingPlan(regionOrCode as CountryCode);
    const np = metadata.numberingPlan as unknown as NumberingPlanApi | undefined;
    if (np) {
      const trunk = np.nationalPrefix() || null;
      const forParsing = np.nationalPrefixForParsing();
      const alternatives = forParsing ? forParsing.split('|') : [];
      const simple = !np.nationalPrefixTransformRule() && alternatives.every((a) => /^\d+$/.test(a)) && (!trunk || alternatives.includes(trunk));
      if (simple) plan = { cc: np.callingCode(), trunk, otherPrefixes: alternatives.filter((a) => a !== trunk), lengths: np.possibleLengths() };
    }
  } catch {
    plan = null;
  }
  plans.set(regionOrCode, plan);
  return plan;
}

function fastE164(raw: string, region: string): string | null {
  if (!PLAIN.test(raw) || raw.includes('(0)')) return null;
  const digits = raw.replace(/\D/g, '');
  if (raw.startsWith('+')) {
    const cc = [1, 2, 3].map((n) => digits.slice(0, n)).find((c) => CALLING_CODES.has(c));
    if (!cc) return null;
    const nsn = digits.slice(cc.length);
    const plan = planOf(cc);
    if (!plan || nsn.startsWith('0') || !plan.lengths.includes(nsn.length)) return null;
    return `+${cc}${nsn}`;
  }
  const plan = planOf(region.toUpperCase());
  if (!plan?.trunk || !digits.startsWith(plan.trunk) || plan.otherPrefixes.some((p) => digits.startsWith(p))) return null;
  const nsn = digits.slice(plan.trunk.length);
  if (nsn.startsWith(plan.trunk) || !plan.lengths.includes(nsn.length)) return null;
  return `+${plan.cc}${nsn}`;
}

function parsePhone(raw: string, region: string): string {
  if (E164.test(raw)) return raw;
  const fast = fastE164(foldLine(raw), region);
  if (fast) return fast;
  const text = foldLine(raw);
  if (!text) return '';
  try {
    const parsed = parsePhoneNumberFromString(text, region.toUpperCase() as CountryCode);
    if (parsed && parsed.isPossible()) {
      const e164 = parsed.format('E.164');
      // A possible but invalid number can read differently once in E.164 (a country code
      // swallowing digits); only a form that stays itself is stored, so normalization is
      // idempotent and the number is never rewritten on every pass.
      const stable = parsed.isValid() || parsePhoneNumberFromString(e164)?.format('E.164') === e164;
      if (stable) return parsed.ext ? `${e164};ext=${parsed.ext}` : e164;
    }
  } catch {
    // libphonenumber throws on some garbage; the folded text is kept below.
  }
  return text;
}

function normalizeList(list: readonly TypedValue[], normValue: (v: string) => string): TypedValue[] {
  const out: TypedValue[] = [];
  for (const item of list) {
    const value = normValue(item.value);
    if (value) out.push({ type: canonicalType(item.type), value });
  }
  return out;
}

export function trimTrailingEmpty(parts: readonly string[]): string[] {
  const out = parts.map(foldLine);
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** Structured text (ORG, ADR: components joined by ';', vCard-escaped) without the empty
 *  components at its end, and empty when every component is empty. */
export function trimStructured(s: string): string {
  let out = s;
  while (out.endsWith(';') && !out.endsWith('\\;')) out = out.slice(0, -1).trimEnd();
  return /^[;\s]*$/.test(out) ? '' : out;
}

/** The formatted name a device derives when a contact has none: from the structured name,
 *  else the organization (the vCard writer does the same, so it never reads back as an
 *  edit). */
export function derivedName(c: Pick<Contact, 'fn' | 'n' | 'org'>): string {
  if (c.fn) return c.fn;
  const [family = '', given = '', additional = '', prefix = '', suffix = ''] = c.n;
  const fromN = [prefix, given, additional, family, suffix].map((x) => x.trim()).filter((x) => x !== '').join(' ');
  if (fromN) return fromN;
  return c.org
    .split(/(?<!\\);/)
    .map((x) => x.replace(/\\(.)/g, '$1').trim())
    .filter((x) => x !== '')
    .join(', ');
}

/** A birthday in ISO 8601's extended form: one date is one value whichever client wrote it
 *  (SyncEvolution writes `19580409`, Apple and vdirsyncer `1958-04-09`; a vCard 4.0 date
 *  without a year is `--0409`). Anything else is kept as written. */
export function normalizeBday(v: string): string {
  const full = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  if (full) return `${full[1]}-${full[2]}-${full[3]}`;
  const noYear = /^--(\d{2})(\d{2})$/.exec(v);
  if (noYear) return `--${noYear[1]}-${noYear[2]}`;
  return v;
}

/** The normalized form the hub stores and compares. Idempotent. */
export function normalizeContact(c: Contact, region: string): Contact {
  const n = trimTrailingEmpty(c.n);
  const org = trimStructured(foldLine(c.org));
  return {
    fn: foldLine(derivedName({ fn: foldLine(c.fn), n, org })),
    n,
    tel: normalizeList(c.tel, (v) => normalizePhone(v, region)),
    email: normalizeList(c.email, foldLine),
    adr: normalizeList(c.adr, (v) => trimStructured(foldText(v))),
    org,
    title: foldLine(c.title),
    bday: normalizeBday(foldLine(c.bday)),
    note: foldText(c.note),
    url: normalizeList(c.url, foldLine),
    extra: c.extra
      // An unmodelled property with no value says nothing (SyncEvolution writes empty
      // placeholders such as X-EVOLUTION-FILE-AS, or GEO:; with empty components); kept, it
      // would read as an edit of a record the client only echoed back.
      .filter((x) => x.name.trim() !== '' && x.value.replace(/[;,\s]/g, '') !== '')
      // Names keep their case: `item1.X-ABLabel` must come back as it went in.
      .map((x) => ({ name: x.name.trim(), params: x.params, value: x.value })),
  };
}

/** A display name: the formatted name, else the structured name, else a number or e-mail. */
export function displayName(c: Contact): string {
  if (c.fn) return c.fn;
  const [family = '', given = ''] = c.n;
  const joined = `${given} ${family}`.trim();
  return joined || c.org || c.tel[0]?.value || c.email[0]?.value || '';
}

// ---------------------------------------------------------------------------------------
// Data elements.

/** Element key → value. Insertion order is the contact's order. */
export type Elements = Map<string, string>;

const SEP = '\u001f';

function listKey(field: string, type: string, index: number): string {
  return `${field}${SEP}${type}${SEP}${index}`;
}

/** Splits a key into field, type and position (single fields have type '' and index 0). */
export function parseKey(key: string): { field: string; type: string; index: number } {
  const parts = key.split(SEP);
  if (parts.length === 1) return { field: parts[0] ?? key, type: '', index: 0 };
  return { field: parts[0] ?? '', type: parts[1] ?? '', index: Number(parts[2] ?? 0) };
}

/** A key as a person reads it: `tel (work) #2`. */
export function describeKey(key: string): string {
  const { field, type, index } = parseKey(key);
  if (!key.includes(SEP)) return field;
  return `${field}${type ? ` (${type})` : ''}${index > 0 ? ` #${index + 1}` : ''}`;
}

export function fieldOfKey(key: string): Field {
  const field = parseKey(key).field;
  return (field === 'x' ? 'extra' : field) as Field;
}

export function toElements(c: Contact): Elements {
  const els: Elements = new Map();
  for (const f of SINGLE_FIELDS) {
    if (f === 'n') {
      if (c.n.length > 0 && c.n.some((p) => p !== '')) els.set('n', JSON.stringify(c.n));
    } else if (c[f] !== '') {
      els.set(f, c[f]);
    }
  }
  for (const f of LIST_FIELDS) {
    const seen = new Map<string, number>();
    for (const item of c[f]) {
      const i = seen.get(item.type) ?? 0;
      seen.set(item.type, i + 1);
      els.set(listKey(f, item.type, i), item.value);
    }
  }
  const seenX = new Map<string, number>();
  for (const x of c.extra) {
    const i = seenX.get(x.name) ?? 0;
    seenX.set(x.name, i + 1);
    els.set(listKey('x', x.name, i), JSON.stringify([x.params, x.value]));
  }
  return els;
}

export function fromElements(els: Elements): Contact {
  const c = emptyContact();
  for (const [key, value] of els) {
    const { field, type } = parseKey(key);
    switch (field) {
      case 'fn':
      case 'org':
      case 'title':
      case 'bday':
      case 'note':
        c[field] = value;
        break;
      case 'n':
        c.n = JSON.parse(value) as string[];
        break;
      case 'tel':
      case 'email':
      case 'adr':
      case 'url':
        c[field].push({ type, value });
        break;
      case 'x': {
        const [params, v] = JSON.parse(value) as [string, string];
        c.extra.push({ name: type, params, value: v });
        break;
      }
      default:
        // An element of a field this version does not know is kept as an extra property.
        c.extra.push({ name: `X-CONCORD-${field.toUpperCase()}`, params: '', value });
    }
  }
  return c;
}

export interface ElementChange {
  key: string;
  /** undefined: the element did not exist. */
  from: string | undefined;
  /** undefined: the element was removed. */
  to: string | undefined;
}

/** The elements that differ between two versions, optionally only among some fields. */
export function diffElements(from: Elements, to: Elements, fields?: ReadonlySet<Field>): ElementChange[] {
  const out: ElementChange[] = [];
  const keep = (k: string) => !fields || fields.has(fieldOfKey(k));
  for (const [k, v] of to) {
    if (keep(k) && from.get(k) !== v) out.push({ key: k, from: from.get(k), to: v });
  }
  for (const [k, v] of from) {
    if (keep(k) && !to.has(k)) out.push({ key: k, from: v, to: undefined });
  }
  return out;
}

export function equalContacts(a: Contact, b: Contact): boolean {
  if (a === b) return true;
  const ea = toElements(a);
  const eb = toElements(b);
  if (ea.size !== eb.size) return false;
  for (const [k, v] of ea) if (eb.get(k) !== v) return false;
  return true;
}

/** A stable text of a contact's elements, for hashing and multiset comparison. */
export function contactSignature(c: Contact): string {
  return JSON.stringify([...toElements(c)].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)));
}
