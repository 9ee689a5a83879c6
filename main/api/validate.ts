// Hand-written run-time validators for the contract's arguments. Nothing that arrives over
// a transport is trusted: a request whose arguments do not have the declared shape gets a
// 'bad-request' error naming the first thing wrong, and never reaches the hub.
import { parsePhoneNumberFromString, validatePhoneNumberLength, type CountryCode } from 'libphonenumber-js/max';
import { displayName, type Contact } from '../core/contact';
import type { DeviceStatus } from '../hub/types';
import type { FieldProblem, FitWarning } from './contract';

export type Check<T> = (x: unknown, path: string) => T;

export class BadRequest extends Error {}

function fail(path: string, what: string): never {
  throw new BadRequest(`${path || 'arguments'} ${what}`);
}

export const str =
  (max: number, opts: { min?: number } = {}): Check<string> =>
  (x, path) => {
    if (typeof x !== 'string') fail(path, 'must be text');
    if (x.length > max) fail(path, `must be at most ${max} characters`);
    if (x.length < (opts.min ?? 0)) fail(path, opts.min === 1 ? 'must not be empty' : `must be at least ${opts.min} characters`);
    return x;
  };

export const int =
  (min: number, max: number): Check<number> =>
  (x, path) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) fail(path, 'must be a whole number');
    if (x < min || x > max) fail(path, `must be between ${min} and ${max}`);
    return x;
  };

export const bool: Check<boolean> = (x, path) => {
  if (typeof x !== 'boolean') fail(path, 'must be true or false');
  return x;
};

export const oneOf =
  <T extends string>(...values: T[]): Check<T> =>
  (x, path) => {
    if (typeof x !== 'string' || !values.includes(x as T)) fail(path, `must be one of ${values.join(', ')}`);
    return x as T;
  };

export const arrayOf =
  <T>(item: Check<T>, max: number): Check<T[]> =>
  (x, path) => {
    if (!Array.isArray(x)) fail(path, 'must be a list');
    if (x.length > max) fail(path, `must hold at most ${max} items`);
    return x.map((v, i) => item(v, `${path}[${i}]`));
  };

export const optional =
  <T>(check: Check<T>): Check<T | undefined> =>
  (x, path) =>
    x === undefined ? undefined : check(x, path);

/** Any plain object; the hub's own validator (validateContact) checks a contact's fields. */
export const plainObject: Check<Record<string, unknown>> = (x, path) => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(path, 'must be an object');
  return x as Record<string, unknown>;
};

type Shape = Record<string, Check<unknown>>;
type Out<S extends Shape> = { [K in keyof S as undefined extends ReturnType<S[K]> ? never : K]: ReturnType<S[K]> } & {
  [K in keyof S as undefined extends ReturnType<S[K]> ? K : never]?: Exclude<ReturnType<S[K]>, undefined>;
};

/** An object with exactly these keys (unknown keys are refused: a typo is a bug). */
export const obj =
  <S extends Shape>(shape: S): Check<Out<S>> =>
  (x, path) => {
    const o = plainObject(x ?? {}, path);
    for (const k of Object.keys(o)) if (!(k in shape)) fail(path ? `${path}.${k}` : k, 'is not a known argument');
    const out: Record<string, unknown> = {};
    for (const [k, check] of Object.entries(shape)) {
      const v = check(o[k], path ? `${path}.${k}` : k);
      if (v !== undefined) out[k] = v;
    }
    return out as Out<S>;
  };

// ---- What a user may save as a contact ---------------------------------------------------
// The shape check above (and the hub's validateContact) only keeps a request from crashing
// anything; these are the rules a person typing into the editor meets: a number must be one
// that can be dialled, a name must fit on a screen. Each problem names its field, so the
// form can put the reason next to it. Devices are not held to these rules: what a phone
// sends is kept as it is (an update leaves values the contact already had unchecked).

export const CONTACT_LIMITS = {
  name: 200,
  org: 200,
  title: 200,
  note: 10_000,
  tel: 40,
  email: 254,
  url: 2000,
  adrPart: 200,
  values: 50,
} as const;

const LIST_WORDS = { tel: 'Phone number', email: 'E-mail', adr: 'Address', url: 'Web address' } as const;
const SINGLE_WORDS = { fn: 'Name', org: 'Organisation', title: 'Job title', note: 'Note' } as const;

/** Length in characters as a person counts them (code points, not UTF-16 units). */
function length(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function tooLong(what: string, n: number, max: number): string {
  return `${what} is too long: ${n.toLocaleString('en-GB')} characters, at most ${max.toLocaleString('en-GB')}.`;
}

const EXTENSION = /\s*(?:ext\.?|extension|x|#)\s*\d{1,7}$/i;
const PHONE_CHARS = /^\+?[\d\s\-()./]+$/;

/** Why `text` cannot be a phone number in `region`, or null when it can. */
export function phoneProblem(text: string, region: string): string | null {
  const t = text.trim();
  if (!t) return 'is empty: type a number or remove the line.';
  if (length(t) > CONTACT_LIMITS.tel) return `is too long for a phone number (${length(t)} characters).`;
  if (!PHONE_CHARS.test(t.replace(EXTENSION, ''))) return 'is not a phone number: use digits, spaces and + - ( ), and "ext" for an extension.';
  const country = region.toUpperCase() as CountryCode;
  let possible: boolean;
  try {
    possible = parsePhoneNumberFromString(t, country)?.isPossible() ?? false;
  } catch {
    possible = false;
  }
  if (possible) return null;
  let why: string | undefined;
  try {
    why = validatePhoneNumberLength(t, country);
  } catch {
    why = 'NOT_A_NUMBER';
  }
  switch (why) {
    case 'TOO_SHORT':
      return 'is too short to be a phone number.';
    case 'TOO_LONG':
      return 'has too many digits for a phone number.';
    case 'INVALID_COUNTRY':
      return 'has an unknown country code: start with + and the country code, e.g. +44.';
    default:
      return 'cannot be a phone number here: check the digits, or start with + and the country code.';
  }
}

const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;
const BDAY = /^(?:(\d{4})-?|--)(\d{2})-?(\d{2})$/;

function bdayProblem(s: string): string | null {
  const m = BDAY.exec(s.trim());
  if (!m) return 'Birthday must be a date such as 1985-04-23, or --04-23 without the year.';
  const year = m[1] ? Number(m[1]) : 2000;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || (m[1] && (year < 1800 || year > 2200))) return 'Birthday is not a real date.';
  return null;
}

function urlProblem(s: string): string | null {
  const t = s.trim();
  if (/\s/.test(t)) return 'is not a web address: it has spaces in it.';
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:/i.test(t) ? t : `https://${t}`);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && !u.hostname.includes('.') && u.hostname !== 'localhost') return 'is not a web address: the site name has no dot (e.g. example.org).';
  } catch {
    return 'is not a web address.';
  }
  return null;
}

/** What is wrong with a contact the user wants to save, field by field (empty: nothing).
 *  `before`: the contact being edited; values it already held are not checked again, so a
 *  number a phone stored as "Voicemail" does not stop the user from fixing a name. */
export function contactProblems(c: Partial<Contact>, region: string, before?: Contact): FieldProblem[] {
  const out: FieldProblem[] = [];
  const fresh = (field: keyof Contact, value: string) => {
    if (!before) return true;
    const old = before[field];
    return Array.isArray(old) ? !old.some((v) => (typeof v === 'string' ? v : (v as { value: string }).value) === value) : old !== value;
  };
  for (const f of ['fn', 'org', 'title', 'note'] as const) {
    const v = c[f] ?? '';
    const max = f === 'fn' ? CONTACT_LIMITS.name : CONTACT_LIMITS[f];
    if (length(v) > max && fresh(f, v)) out.push({ field: f, message: tooLong(SINGLE_WORDS[f], length(v), max) });
  }
  const n = c.n ?? [];
  if (n.some((p) => length(p) > CONTACT_LIMITS.name && fresh('n', p))) out.push({ field: 'n', message: tooLong('A part of the name', Math.max(...n.map(length)), CONTACT_LIMITS.name) });
  if (c.bday && fresh('bday', c.bday)) {
    const p = bdayProblem(c.bday);
    if (p) out.push({ field: 'bday', message: p });
  }
  for (const f of ['tel', 'email', 'adr', 'url'] as const) {
    const values = c[f] ?? [];
    if (values.length > CONTACT_LIMITS.values) out.push({ field: `${f}[${CONTACT_LIMITS.values}]`, message: `At most ${CONTACT_LIMITS.values} of each kind.` });
    values.slice(0, CONTACT_LIMITS.values).forEach((tv, i) => {
      const what = `${LIST_WORDS[f]} ${i + 1}`;
      const v = tv.value;
      if (!fresh(f, v)) return;
      let p: string | null = null;
      if (f === 'tel') p = phoneProblem(v, region);
      else if (!v.trim()) p = 'is empty: fill it in or remove the line.';
      else if (f === 'email') p = length(v) > CONTACT_LIMITS.email ? `is too long for an e-mail address.` : EMAIL.test(v.trim()) ? null : 'is not an e-mail address (like name@example.org).';
      else if (f === 'url') p = length(v) > CONTACT_LIMITS.url ? 'is too long for a web address.' : urlProblem(v);
      else if (v.split(';').some((part) => length(part) > CONTACT_LIMITS.adrPart)) p = `has a line longer than ${CONTACT_LIMITS.adrPart} characters.`;
      if (p) out.push({ field: `${f}[${i}]`, message: `${what} ${p}` });
    });
  }
  const whole = { fn: '', n: [], tel: [], email: [], adr: [], org: '', title: '', bday: '', note: '', url: [], extra: [], ...c } as Contact;
  if (!displayName(whole).trim()) out.push({ field: 'fn', message: 'A contact needs a name, a number or an e-mail.' });
  return out;
}

/** How the contact will fare on each paired device: a name cut to the device's length, values
 *  or fields it does not keep, and no room left (maxEntries: the hub plans ADDs for that
 *  many records, those the device holds first, then in creation order, so a new contact gets
 *  a place only while the hub has fewer contacts than the device has entries). `contacts`: how many the
 *  hub holds now; `adding`: the contact is new. */
export function fitWarnings(c: Partial<Contact>, devices: readonly Pick<DeviceStatus, 'spid' | 'name' | 'kind' | 'capacity'>[], contacts: number, adding: boolean): FitWarning[] {
  const out: FitWarning[] = [];
  const whole = { fn: '', n: [], tel: [], email: [], adr: [], org: '', title: '', bday: '', note: '', url: [], extra: [], ...c } as Contact;
  const name = displayName(whole);
  for (const d of devices) {
    if (d.kind === 'editor') continue;
    const cap = d.capacity ?? {};
    const base = { spid: d.spid, device: d.name };
    if (adding && cap.maxEntries !== undefined && contacts >= cap.maxEntries) {
      out.push({ ...base, message: `${d.name} is full (${cap.maxEntries.toLocaleString('en-GB')} entries, all used): this contact will not be copied to it.` });
      continue;
    }
    const max = cap.maxNameLength;
    if (max !== undefined && length(name) > max) {
      const shown = Array.from(name).slice(0, max).join('').trim();
      out.push({ ...base, field: 'fn', message: `${d.name} keeps names of up to ${max} characters: it will show "${shown}".` });
    }
    const keeps = (f: string) => !cap.fields || (cap.fields as readonly string[]).includes(f);
    for (const f of ['tel', 'email', 'adr', 'url'] as const) {
      const values = whole[f].filter((v) => v.value.trim());
      if (values.length === 0) continue;
      const limit = keeps(f) ? cap.maxValues?.[f] : 0;
      if (limit === undefined || values.length <= limit) continue;
      const words = { tel: ['number', 'numbers'], email: ['e-mail', 'e-mails'], adr: ['address', 'addresses'], url: ['web address', 'web addresses'] }[f];
      const message =
        limit === 0
          ? `${d.name} does not keep ${words[1]}; they stay in Concord and on your other devices.`
          : `${d.name} keeps only the first ${limit === 1 ? words[0] : `${limit} ${words[1]}`}.`;
      out.push({ ...base, field: `${f}[${limit === 0 ? 0 : limit}]`, message });
    }
    const dropped = (['org', 'title', 'bday', 'note'] as const).filter((f) => whole[f].trim() && !keeps(f));
    if (dropped.length > 0) {
      const words = { org: 'organisation', title: 'job title', bday: 'birthday', note: 'note' };
      out.push({ ...base, field: dropped[0], message: `${d.name} does not keep the ${dropped.map((f) => words[f]).join(', ')}; ${dropped.length === 1 ? 'it stays' : 'they stay'} in Concord and on your other devices.` });
    }
  }
  return out;
}
