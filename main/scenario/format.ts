// The JSON scenario format (shared/design/scenario-format.md), parsed strictly: a malformed
// scenario names the file and the field at fault.
import { contactOf, type Contact, type Field, FIELDS } from '../core/contact';
import type { Capacity } from '../core/projection';

export interface ScenarioContact {
  key?: string;
  fn?: string;
  n?: string[];
  tel?: string[];
  email?: string[];
  org?: string;
  note?: string;
  adr?: string[];
}

export interface ScenarioDevice {
  id: string;
  priority: number;
  changeTracking: 'log' | 'snapshot';
  capacity?: Capacity;
  initial: ScenarioContact[];
  /** The hub reads it but never writes to it (always `snapshot`). */
  readOnly?: boolean;
}

export type ScenarioFault =
  | { device: string; cutDuring: 'retrieve' }
  | { device: string; cutAfterApplies: number; ackLost?: boolean }
  | { hubCrash: 'afterRetrieve' | 'afterCommit' }
  | { hubCrash: 'afterAcks'; count: number };

export type ScenarioStep =
  | { edit: string; add: ScenarioContact }
  | { edit: string; update: ScenarioContact & { key: string } }
  | { edit: string; delete: string }
  | { sync: string[]; faults: ScenarioFault[] }
  | { reset: string }
  | { restart: true }
  | SafetyStep;

/** The safety net's steps (scenario-format.md): undo the run of a sync step (its 0-based
 *  index), restore a deleted contact, approve or keep a device's held deletions. */
export type SafetyStep = { undo: number } | { restore: string } | { approve: string } | { keep: string };

export interface Scenario {
  name: string;
  region: string;
  /** Devices, without the hub's editor. */
  devices: ScenarioDevice[];
  /** The editor's priority (`hub` listed among the devices), default 0: the highest. */
  hubPriority: number;
  /** The mass-deletion guard: off unless set; `{}` is the default rule. */
  guard?: { deletes?: number };
  steps: ScenarioStep[];
  expect: {
    converged?: boolean;
    contacts?: ScenarioContact[];
    devices?: Record<string, ScenarioContact[]>;
    conflicts?: number;
    noDuplicates: boolean;
    idempotent: boolean;
  };
}

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`${file}: ${field}: ${message}`);
    this.name = 'ScenarioError';
  }
}

const CONTACT_KEYS = new Set(['key', 'fn', 'n', 'tel', 'email', 'org', 'note', 'adr']);
const STRING_LISTS = ['tel', 'email', 'adr', 'n'] as const;

export function parseScenario(text: string, file: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, '(file)', `not valid JSON: ${(e as Error).message}`);
  }
  const fail = (field: string, msg: string): never => {
    throw new ScenarioError(file, field, msg);
  };
  const obj = (v: unknown, field: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be an object');
    return v as Record<string, unknown>;
  };
  const list = (v: unknown, field: string): unknown[] => {
    if (!Array.isArray(v)) fail(field, 'must be a list');
    return v as unknown[];
  };
  const str = (v: unknown, field: string): string => {
    if (typeof v !== 'string') fail(field, 'must be a string');
    return v as string;
  };
  const int = (v: unknown, field: string, min = 0): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(field, `must be a whole number of at least ${min}`);
    return v as number;
  };
  const bool = (v: unknown, field: string): boolean => {
    if (typeof v !== 'boolean') fail(field, 'must be true or false');
    return v as boolean;
  };
  const contact = (v: unknown, field: string): ScenarioContact => {
    const o = obj(v, field);
    for (const k of Object.keys(o)) if (!CONTACT_KEYS.has(k)) fail(`${field}.${k}`, `unknown contact field (known: ${[...CONTACT_KEYS].join(', ')})`);
    const out: ScenarioContact = {};
    for (const k of ['key', 'fn', 'org', 'note'] as const) if (o[k] !== undefined) out[k] = str(o[k], `${field}.${k}`);
    for (const k of STRING_LISTS) {
      if (o[k] !== undefined) out[k] = list(o[k], `${field}.${k}`).map((x, i) => str(x, `${field}.${k}[${i}]`));
    }
    return out;
  };

  const root = obj(raw, '(root)');
  const name = str(root.name, 'name');
  const region = root.region === undefined ? 'GB' : str(root.region, 'region');
  if (!/^[A-Za-z]{2}$/.test(region)) fail('region', 'must be a two-letter country code');

  const devices: ScenarioDevice[] = [];
  let hubPriority = 0;
  const ids = new Set<string>();
  list(root.devices, 'devices').forEach((d, i) => {
    const f = `devices[${i}]`;
    const o = obj(d, f);
    const id = str(o.id, `${f}.id`);
    if (ids.has(id)) fail(`${f}.id`, `device "${id}" is listed twice`);
    ids.add(id);
    const priority = o.priority === undefined ? i + 1 : int(o.priority, `${f}.priority`, 0);
    if (id === 'hub') {
      for (const k of Object.keys(o)) if (k !== 'id' && k !== 'priority') fail(`${f}.${k}`, 'the hub may be listed only to give it a priority');
      hubPriority = priority;
      return;
    }
    const ct = (o.changeTracking === undefined ? 'log' : str(o.changeTracking, `${f}.changeTracking`)) as 'log' | 'snapshot';
    if (ct !== 'log' && ct !== 'snapshot') fail(`${f}.changeTracking`, 'must be "log" or "snapshot"');
    let capacity: Capacity | undefined;
    if (o.capacity !== undefined) {
      const c = obj(o.capacity, `${f}.capacity`);
      capacity = {};
      for (const k of Object.keys(c)) if (!['fields', 'maxNameLength', 'maxEntries'].includes(k)) fail(`${f}.capacity.${k}`, 'unknown capacity field');
      if (c.fields !== undefined) {
        capacity.fields = list(c.fields, `${f}.capacity.fields`).map((x, j) => {
          const s = str(x, `${f}.capacity.fields[${j}]`);
          if (!FIELDS.includes(s as Field)) fail(`${f}.capacity.fields[${j}]`, `unknown field "${s}"`);
          return s as Field;
        });
      }
      if (c.maxNameLength !== undefined) capacity.maxNameLength = int(c.maxNameLength, `${f}.capacity.maxNameLength`, 1);
      if (c.maxEntries !== undefined) capacity.maxEntries = int(c.maxEntries, `${f}.capacity.maxEntries`, 0);
    }
    const initial = o.initial === undefined ? [] : list(o.initial, `${f}.initial`).map((x, j) => contact(x, `${f}.initial[${j}]`));
    const readOnly = o.readOnly === undefined ? false : bool(o.readOnly, `${f}.readOnly`);
    if (readOnly && ct !== 'snapshot') fail(`${f}.readOnly`, `a read-only device must be "changeTracking": "snapshot" (the hub cannot write to it, so it only lists what it holds); "${id}" is "${ct}"`);
    for (const k of Object.keys(o)) if (!['id', 'priority', 'changeTracking', 'capacity', 'initial', 'readOnly'].includes(k)) fail(`${f}.${k}`, 'unknown device field');
    devices.push({ id, priority, changeTracking: ct, ...(capacity ? { capacity } : {}), initial, ...(readOnly ? { readOnly } : {}) });
  });

  const known = (id: string, field: string, allowHub: boolean) => {
    if (id === 'hub' && allowHub) return;
    if (!devices.some((d) => d.id === id)) fail(field, `no device "${id}" in devices`);
  };
  const steps: ScenarioStep[] = list(root.steps, 'steps').map((s, i) => {
    const f = `steps[${i}]`;
    const o = obj(s, f);
    if ('edit' in o) {
      const dev = str(o.edit, `${f}.edit`);
      known(dev, `${f}.edit`, true);
      if ('add' in o) return { edit: dev, add: contact(o.add, `${f}.add`) };
      if ('update' in o) {
        const u = contact(o.update, `${f}.update`);
        if (u.key === undefined) fail(`${f}.update.key`, 'an update names the contact by its key');
        return { edit: dev, update: u as ScenarioContact & { key: string } };
      }
      if ('delete' in o) return { edit: dev, delete: str(o.delete, `${f}.delete`) };
      return fail(f, 'an edit step needs "add", "update" or "delete"');
    }
    if ('sync' in o) {
      const devs = list(o.sync, `${f}.sync`).map((x, j) => str(x, `${f}.sync[${j}]`));
      devs.forEach((d, j) => known(d, `${f}.sync[${j}]`, true));
      const faults: ScenarioFault[] = (o.faults === undefined ? [] : list(o.faults, `${f}.faults`)).map((x, j) => {
        const ff = `${f}.faults[${j}]`;
        const fo = obj(x, ff);
        if ('hubCrash' in fo) {
          const at = str(fo.hubCrash, `${ff}.hubCrash`);
          if (at === 'afterAcks') return { hubCrash: 'afterAcks', count: int(fo.count, `${ff}.count`, 0) };
          if (at !== 'afterRetrieve' && at !== 'afterCommit') fail(`${ff}.hubCrash`, 'must be "afterRetrieve", "afterCommit" or "afterAcks"');
          return { hubCrash: at as 'afterRetrieve' | 'afterCommit' };
        }
        const device = str(fo.device, `${ff}.device`);
        known(device, `${ff}.device`, false);
        if (!devs.includes(device)) fail(`${ff}.device`, `"${device}" is not online in this sync`);
        if ('cutDuring' in fo) {
          if (fo.cutDuring !== 'retrieve') fail(`${ff}.cutDuring`, 'must be "retrieve"');
          return { device, cutDuring: 'retrieve' };
        }
        if ('cutAfterApplies' in fo) {
          const k = int(fo.cutAfterApplies, `${ff}.cutAfterApplies`, 0);
          return { device, cutAfterApplies: k, ...(fo.ackLost !== undefined ? { ackLost: bool(fo.ackLost, `${ff}.ackLost`) } : {}) };
        }
        return fail(ff, 'a fault needs "cutDuring", "cutAfterApplies" or "hubCrash"');
      });
      return { sync: devs.filter((d) => d !== 'hub'), faults };
    }
    if ('reset' in o) {
      const dev = str(o.reset, `${f}.reset`);
      known(dev, `${f}.reset`, false);
      return { reset: dev };
    }
    if ('restart' in o) {
      if (o.restart !== true) fail(`${f}.restart`, 'must be true');
      return { restart: true };
    }
    if ('undo' in o) {
      const at = int(o.undo, `${f}.undo`, 0);
      const target = (root.steps as unknown[])[at];
      if (at >= i || typeof target !== 'object' || target === null || !('sync' in target)) fail(`${f}.undo`, 'must be the index of an earlier sync step');
      return { undo: at };
    }
    if ('restore' in o) return { restore: str(o.restore, `${f}.restore`) };
    for (const k of ['approve', 'keep'] as const) {
      if (k in o) {
        const dev = str(o[k], `${f}.${k}`);
        known(dev, `${f}.${k}`, false);
        return k === 'approve' ? { approve: dev } : { keep: dev };
      }
    }
    return fail(f, 'unknown step (edit, sync, reset, restart, undo, restore, approve or keep)');
  });

  const e = root.expect === undefined ? {} : obj(root.expect, 'expect');
  for (const k of Object.keys(e)) {
    if (!['converged', 'contacts', 'devices', 'conflicts', 'noDuplicates', 'idempotent'].includes(k)) fail(`expect.${k}`, 'unknown expectation');
  }
  const expect: Scenario['expect'] = {
    noDuplicates: e.noDuplicates === undefined ? true : bool(e.noDuplicates, 'expect.noDuplicates'),
    idempotent: e.idempotent === undefined ? true : bool(e.idempotent, 'expect.idempotent'),
  };
  if (e.converged !== undefined) expect.converged = bool(e.converged, 'expect.converged');
  if (e.conflicts !== undefined) expect.conflicts = int(e.conflicts, 'expect.conflicts', 0);
  if (e.contacts !== undefined) expect.contacts = list(e.contacts, 'expect.contacts').map((c, i) => contact(c, `expect.contacts[${i}]`));
  if (e.devices !== undefined) {
    const d = obj(e.devices, 'expect.devices');
    expect.devices = {};
    for (const [id, cs] of Object.entries(d)) {
      known(id, `expect.devices.${id}`, false);
      expect.devices[id] = list(cs, `expect.devices.${id}`).map((c, i) => contact(c, `expect.devices.${id}[${i}]`));
    }
  }
  let guard: Scenario['guard'];
  if (root.guard !== undefined) {
    const g = obj(root.guard, 'guard');
    for (const k of Object.keys(g)) if (k !== 'deletes') fail(`guard.${k}`, 'unknown guard field (known: deletes)');
    guard = g.deletes === undefined ? {} : { deletes: int(g.deletes, 'guard.deletes', 0) };
  }
  return { name, region, devices, hubPriority, ...(guard ? { guard } : {}), steps, expect };
}

/** A scenario contact as a Contact (values untyped, as the format has no type labels). */
export function toContact(c: ScenarioContact): Contact {
  const typed = (xs?: string[]) => (xs ?? []).map((value) => ({ type: '', value }));
  return contactOf({
    fn: c.fn ?? '',
    n: c.n ?? [],
    tel: typed(c.tel),
    email: typed(c.email),
    adr: typed(c.adr),
    org: c.org ?? '',
    note: c.note ?? '',
  });
}

/** The named fields of an update, as a partial contact. */
export function toPartial(c: ScenarioContact): Partial<Contact> {
  const full = toContact(c);
  const out: Partial<Contact> = {};
  for (const k of ['fn', 'n', 'tel', 'email', 'adr', 'org', 'note'] as const) {
    if (c[k] !== undefined) (out as Record<string, unknown>)[k] = full[k];
  }
  return out;
}

/** A contact as the scenario format writes it (for `contacts export --format json` and
 *  for failing stories written out as scenarios). */
export function fromContact(c: Contact): ScenarioContact {
  const out: ScenarioContact = {};
  if (c.fn) out.fn = c.fn;
  if (c.n.length) out.n = [...c.n];
  if (c.tel.length) out.tel = c.tel.map((t) => t.value);
  if (c.email.length) out.email = c.email.map((t) => t.value);
  if (c.adr.length) out.adr = c.adr.map((t) => t.value);
  if (c.org) out.org = c.org;
  if (c.note) out.note = c.note;
  return out;
}
