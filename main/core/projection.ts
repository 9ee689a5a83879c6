// What a device can hold: its capacity, and the projection of a record through it
// (sync-method.md, "Persistence rules": a device that stores less than the truth is
// compared by its projection of each record).
import { contactOf, type Contact, type Field, LIST_FIELDS } from './contact';

export interface Capacity {
  /** The fields the device keeps; omitted: every field. */
  fields?: readonly Field[];
  /** Longest name (in characters, i.e. code points) the device stores; longer ones are cut,
   *  then trimmed of white space. */
  maxNameLength?: number;
  /** How many records the device can hold. */
  maxEntries?: number;
  /** How many values of a multi-valued field the device keeps (e.g. 5 numbers). */
  maxValues?: Partial<Record<(typeof LIST_FIELDS)[number], number>>;
}

export function holdsField(cap: Capacity, field: Field): boolean {
  return !cap.fields || cap.fields.includes(field);
}

export function heldFields(cap: Capacity): ReadonlySet<Field> | undefined {
  return cap.fields ? new Set(cap.fields) : undefined;
}

/** Cuts a name to `max` code points (never splitting a surrogate pair), then trims. */
export function shortenName(name: string, max: number | undefined): string {
  if (max === undefined) return name;
  const points = Array.from(name);
  if (points.length <= max) return name;
  return points.slice(0, max).join('').trim();
}

/** The record as this device can hold it. Idempotent: project(project(c)) = project(c). */
export function project(c: Contact, cap: Capacity): Contact {
  if (!cap.fields && cap.maxNameLength === undefined && !cap.maxValues) return c;
  const out = contactOf({});
  const keep = (f: Field) => holdsField(cap, f);
  if (keep('fn')) out.fn = shortenName(c.fn, cap.maxNameLength);
  if (keep('n')) out.n = [...c.n];
  for (const f of LIST_FIELDS) {
    if (!keep(f)) continue;
    const max = cap.maxValues?.[f];
    out[f] = (max === undefined ? c[f] : c[f].slice(0, max)).map((v) => ({ ...v }));
  }
  if (keep('org')) out.org = c.org;
  if (keep('title')) out.title = c.title;
  if (keep('bday')) out.bday = c.bday;
  if (keep('note')) out.note = c.note;
  if (keep('extra')) out.extra = c.extra.map((x) => ({ ...x }));
  // A SIM-like device that keeps no formatted name field but a structured one, or the
  // reverse, still needs a name: carry the other one over.
  if (!keep('fn') && keep('n') && out.n.length === 0 && c.fn) out.n = ['', c.fn];
  return out;
}
