// Checks that what an adapter hands the hub has the shape of a contact. Nothing a device
// sends may crash a run: a record that fails here is skipped and logged against the device.
import { contactOf, LIST_FIELDS, SINGLE_FIELDS, type Contact } from './contact';

const MAX_TEXT = 64 * 1024;
const MAX_VALUES = 200;

export function validateContact(x: unknown): { ok: true; contact: Contact } | { ok: false; reason: string } {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return { ok: false, reason: 'not a contact object' };
  const o = x as Record<string, unknown>;
  for (const f of SINGLE_FIELDS) {
    if (f === 'n') continue;
    const v = o[f];
    if (v !== undefined && typeof v !== 'string') return { ok: false, reason: `field ${f} is not text` };
    if (typeof v === 'string' && v.length > MAX_TEXT) return { ok: false, reason: `field ${f} is longer than ${MAX_TEXT} characters` };
  }
  if (o.n !== undefined && !(Array.isArray(o.n) && o.n.every((p) => typeof p === 'string') && o.n.length <= 10)) {
    return { ok: false, reason: 'field n is not a list of name parts' };
  }
  for (const f of LIST_FIELDS) {
    const v = o[f];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length > MAX_VALUES) return { ok: false, reason: `field ${f} is not a list of at most ${MAX_VALUES} values` };
    for (const item of v) {
      if (typeof item !== 'object' || item === null || typeof item.value !== 'string' || typeof item.type !== 'string') {
        return { ok: false, reason: `a value of ${f} is not {type, value} text` };
      }
      if (item.value.length > MAX_TEXT) return { ok: false, reason: `a value of ${f} is too long` };
    }
  }
  if (o.extra !== undefined) {
    if (!Array.isArray(o.extra) || o.extra.length > 1000) return { ok: false, reason: 'extra is not a list' };
    for (const e of o.extra) {
      if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || typeof e.params !== 'string' || typeof e.value !== 'string') {
        return { ok: false, reason: 'an extra property is not {name, params, value} text' };
      }
    }
  }
  // A complete contact is taken as it is: the run normalizes it into a new object anyway,
  // and a copy here would double what a first sync of 100,000 holds while it plans.
  return { ok: true, contact: isComplete(o) ? (o as unknown as Contact) : contactOf(o as Partial<Contact>) };
}

const FIELD_COUNT = SINGLE_FIELDS.length + LIST_FIELDS.length + 1;

/** Every field present (the checks above passed: each has its type) and nothing else. */
function isComplete(o: Record<string, unknown>): boolean {
  for (const f of SINGLE_FIELDS) if (o[f] === undefined) return false;
  for (const f of LIST_FIELDS) if (o[f] === undefined) return false;
  return o.extra !== undefined && Object.keys(o).length === FIELD_COUNT;
}
