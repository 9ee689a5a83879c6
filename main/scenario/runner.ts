// Plays a scenario against the real sync manager: the real engine and recovery code, a
// real SQLite DSS in a temporary folder, and simulated devices that fail on command at the
// SyncPoint interface (scenario-format.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { normalizeContact, toElements, type Contact } from '../core/contact';
import { isDuplicate } from '../core/duplicates';
import { project } from '../core/projection';
import { ALL_ELEMENTS, EDITOR_SPID, type Guid, type Luid } from '../core/types';
import { SimulatedDevice } from '../devices/simulated/device';
import { Hub } from '../hub/hub';
import { HubCrash } from '../hub/run';
import { comparable, describeContact, firstDuplicate } from './checks';
import { toContact, toPartial, type SafetyStep, type Scenario, type ScenarioStep } from './format';
import { historyOf } from '../dss/history';
import { DEFAULT_GUARD } from '../core/holds';

export interface ScenarioResult {
  name: string;
  pass: boolean;
  reason?: string;
}

class Fail extends Error {}

/** Where the contact a scenario calls by `key` came from. */
interface KeyRef {
  device: string;
  luid?: Luid;
  guid?: Guid;
  data: Contact;
}

function sameMultiset(actual: Contact[], expected: Contact[], region: string, what: string): void {
  const a = actual.map((c) => comparable(c, region)).sort();
  const e = expected.map((c) => comparable(c, region)).sort();
  if (a.length === e.length && a.every((x, i) => x === e[i])) return;
  throw new Fail(`${what}: expected ${expected.length} contact(s) ${expected.map(describeContact).join(' ')}, found ${actual.length}: ${actual.map(describeContact).join(' ')}`);
}

export class ScenarioSession {
  readonly dir: string;
  hub: Hub;
  readonly devices = new Map<string, SimulatedDevice>();
  private readonly keys = new Map<string, KeyRef>();
  private readonly initialConflicts: number;
  /** The run each sync step made (for `undo`). */
  private readonly runOfStep = new Map<ScenarioStep, number>();

  constructor(readonly scenario: Scenario, tmpRoot = os.tmpdir()) {
    this.dir = fs.mkdtempSync(path.join(tmpRoot, 'concord-scenario-'));
    this.hub = this.openHub();
    for (const d of scenario.devices) {
      const dev = new SimulatedDevice({ spid: d.id, changeTracking: d.changeTracking, ...(d.capacity ? { capacity: d.capacity } : {}) });
      for (const c of d.initial) {
        const luid = dev.userAdd(toContact(c));
        if (c.key) this.keys.set(c.key, { device: d.id, luid, data: toContact(c) });
      }
      this.devices.set(d.id, dev);
      this.hub.pairDevice({
        spid: d.id,
        name: d.id,
        kind: 'simulated',
        link: 'simulated',
        changeTracking: d.changeTracking,
        capacity: d.capacity ?? {},
        priority: d.priority,
        readOnly: d.readOnly ?? false,
      });
    }
    const editor = this.hub.device(EDITOR_SPID)!;
    this.hub.dss.putDevice({ ...editor, priority: scenario.hubPriority });
    this.initialConflicts = this.hub.dss.conflictCount();
    // The mass-deletion guard is off unless the scenario sets it; `{}` is the default rule.
    this.hub.setGuard(scenario.guard ? (scenario.guard.deletes === undefined ? DEFAULT_GUARD : { deletes: scenario.guard.deletes, share: null }) : null);
  }

  private openHub(): Hub {
    return Hub.open({ dataDir: this.dir, region: this.scenario.region });
  }

  async restart(): Promise<void> {
    // The process stops: nothing in memory survives, the DSS is reopened from disk.
    this.hub.dss.close();
    this.hub = this.openHub();
  }

  async dispose(): Promise<void> {
    this.hub.dss.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The LUID of the contact `key` on `device`. */
  private luidOn(deviceId: string, key: string): Luid {
    const ref = this.keys.get(key);
    if (!ref) throw new Fail(`no contact with key "${key}" was added`);
    const dev = this.devices.get(deviceId)!;
    const holds = (l: Luid | undefined) => l !== undefined && dev.records().some((r) => r.luid === l);
    if (ref.device === deviceId && ref.luid !== undefined && holds(dev.currentLuid(ref.luid))) return dev.currentLuid(ref.luid);
    const guid = this.guidOf(ref);
    if (guid) {
      const viaMap = this.hub.dss.mapOf(deviceId, guid)?.luid;
      if (holds(viaMap)) return viaMap!;
      const viaSim = dev.luidOfGuid(guid);
      if (viaSim) return viaSim;
      const rec = this.hub.dss.truth(guid);
      if (rec) {
        const m = dev.records().find((r) => isDuplicate(normalizeContact(r.data, this.scenario.region), project(rec.contact, dev.capacity)));
        if (m) return m.luid;
      }
    }
    const byData = dev.records().find((r) => isDuplicate(normalizeContact(r.data, this.scenario.region), project(normalizeContact(ref.data, this.scenario.region), dev.capacity)));
    if (byData) return byData.luid;
    throw new Fail(`device "${deviceId}" does not hold the contact "${key}"`);
  }

  private guidOf(ref: KeyRef): Guid | undefined {
    if (ref.guid) return ref.guid;
    if (ref.luid === undefined) return undefined;
    const dev = this.devices.get(ref.device);
    const luid = dev ? dev.currentLuid(ref.luid) : ref.luid;
    const m = this.hub.dss.mapByLuid(ref.device, luid);
    if (m) return m.guid;
    return dev?.records().find((r) => r.luid === luid)?.guid;
  }

  async step(s: ScenarioStep): Promise<void> {
    if ('edit' in s) {
      if (s.edit === EDITOR_SPID) return this.editorStep(s);
      const dev = this.devices.get(s.edit)!;
      if ('add' in s) {
        const luid = dev.userAdd(toContact(s.add));
        if (s.add.key) this.keys.set(s.add.key, { device: s.edit, luid, data: toContact(s.add) });
      } else if ('update' in s) {
        dev.userUpdate(this.luidOn(s.edit, s.update.key), toPartial(s.update));
      } else {
        dev.userDelete(this.luidOn(s.edit, s.delete));
      }
      return;
    }
    if ('sync' in s) {
      for (const f of s.faults) {
        if ('hubCrash' in f) {
          this.hub.crashNextRun = f.hubCrash === 'afterAcks' ? { at: 'afterAcks', count: f.count } : { at: f.hubCrash };
          continue;
        }
        const dev = this.devices.get(f.device)!;
        dev.faults = { ...dev.faults, ...('cutDuring' in f ? { cutDuring: f.cutDuring } : { cutAfterApplies: f.cutAfterApplies, ackLost: f.ackLost ?? false }) };
      }
      await this.run(s.sync);
      this.runOfStep.set(s, historyOf(this.hub.dss.db).lastRunId());
      return;
    }
    if (!('reset' in s) && !('restart' in s)) return this.safetyStep(s);
    if ('reset' in s) {
      this.devices.get(s.reset)!.reset();
      return;
    }
    await this.restart();
  }

  /** The run a sync step made, if it was played. */
  runOf(step: ScenarioStep): number | undefined {
    return this.runOfStep.get(step);
  }

  /** undo, restore, approve, keep (scenario-format.md). */
  private safetyStep(s: SafetyStep): void {
    if ('undo' in s) {
      const runId = this.runOfStep.get(this.scenario.steps[s.undo]!);
      if (runId === undefined) throw new Fail(`step ${s.undo + 1} made no run to undo`);
      this.hub.undoRun(runId);
      return;
    }
    if ('restore' in s) {
      const ref = this.keys.get(s.restore);
      if (!ref) throw new Fail(`no contact with key "${s.restore}" was added`);
      // Its record by GUID, else (re-added under another GUID since) the newest deleted
      // record that is its duplicate.
      const guid = this.guidOf(ref);
      const all = this.hub.recentlyDeleted();
      const data = normalizeContact(ref.data, this.scenario.region);
      const deleted = all.find((d) => d.guid === guid) ?? all.find((d) => isDuplicate(data, d.contact));
      if (!deleted) throw new Fail(`the contact "${s.restore}" is not in recently deleted`);
      const id = this.hub.restoreContact(deleted.guid);
      this.keys.set(s.restore, { device: EDITOR_SPID, guid: id, data: deleted.contact });
      return;
    }
    // (Nothing held from that device: there is nothing to answer.)
    const dev = 'approve' in s ? s.approve : s.keep;
    if (!this.hub.holds().some((h) => h.spid === dev)) return;
    if ('approve' in s) this.hub.approveHolds(dev);
    else this.hub.keepHolds(dev);
  }

  private editorStep(s: Extract<ScenarioStep, { edit: string }>): void {
    if ('add' in s) {
      const guid = this.hub.editor.add(toContact(s.add));
      if (s.add.key) this.keys.set(s.add.key, { device: EDITOR_SPID, guid, data: toContact(s.add) });
      return;
    }
    const key = 'update' in s ? s.update.key : s.delete;
    const ref = this.keys.get(key);
    if (!ref) throw new Fail(`no contact with key "${key}" was added`);
    const known = this.guidOf(ref);
    const guid = known && this.hub.contact(known) ? known : this.findInTruth(ref.data);
    if (!guid) throw new Fail(`the hub holds no contact "${key}"`);
    if ('update' in s) {
      const current = this.hub.contact(guid)?.contact;
      if (!current) throw new Fail(`the hub holds no contact "${key}"`);
      this.hub.editor.update(guid, { ...current, ...toPartial(s.update) });
    } else this.hub.editor.delete(guid);
  }

  private findInTruth(c: Contact): Guid | undefined {
    const n = normalizeContact(c, this.scenario.region);
    return this.hub.contacts().find((r) => isDuplicate(r.contact, n))?.guid;
  }

  /** One run with these devices online; a simulated hub crash leaves the DSS as it was
   *  and the next step starts a new hub from it. */
  async run(online: readonly string[]): Promise<void> {
    for (const id of this.devices.keys()) this.hub.detach(id);
    for (const id of online) this.hub.attach(this.devices.get(id)!);
    try {
      await this.hub.sync(online);
      this.checkNothingWrittenToReadOnly();
    } catch (e) {
      if (!(e instanceof HubCrash)) throw e;
      await this.restart();
    } finally {
      // A record keeps its GUID for life: remember it while the key can still be traced
      // (the device that made it may later delete or forget it).
      for (const ref of this.keys.values()) if (!ref.guid) ref.guid = this.guidOf(ref);
      // Faults are for this run only (a cut planned after K applies does not fire when the
      // device had no K+1-th operation).
      for (const d of this.devices.values()) d.faults = {};
    }
  }

  /** A read-only device is never written to. */
  private checkNothingWrittenToReadOnly(): void {
    for (const d of this.scenario.devices) {
      const received = d.readOnly ? this.devices.get(d.id)!.received : [];
      if (received.length > 0) throw new Fail(`the hub wrote to the read-only device ${d.id}: ${received.map((op) => op.action).join(', ')}`);
    }
  }

  allDevices(): string[] {
    return this.scenario.devices.map((d) => d.id);
  }

  truth(): Contact[] {
    return this.hub.contacts().map((r) => r.contact);
  }

  /** Checks of the oracle; throws Fail with the reason. */
  checkConverged(): void {
    const region = this.scenario.region;
    const truth = this.truth();
    for (const [id, dev] of this.devices) {
      if (this.scenario.devices.find((d) => d.id === id)?.readOnly) {
        this.checkReadOnlyConverged(id, dev);
        continue;
      }
      const held = dev.records().map((r) => r.data);
      const expected = truth.map((c) => project(c, dev.capacity));
      const max = dev.capacity.maxEntries;
      if (max !== undefined && expected.length > max) {
        // Any `max` of the truth's records, each at most once.
        if (held.length !== max) throw new Fail(`not converged: ${id} holds ${held.length} contacts, its capacity is ${max} and the truth has ${truth.length}`);
        const pool = expected.map((c) => comparable(c, region));
        for (const h of held) {
          const i = pool.indexOf(comparable(h, region));
          if (i < 0) throw new Fail(`not converged: ${id} holds ${describeContact(h)}, which is not in the truth`);
          pool.splice(i, 1);
        }
        continue;
      }
      sameMultiset(held, expected, region, `not converged: ${id}`);
    }
  }

  /** "Converged" for a read-only device (sync-method.md, "Decisions on the extensions"):
   *  the truth holds everything it lists — each record it lists is a duplicate of a truth
   *  record through its projection, or maps to a record deleted elsewhere or in the conflict
   *  log, or maps to a truth record whose differing elements another sync point wrote after
   *  the device last listed the record. */
  private checkReadOnlyConverged(id: string, dev: SimulatedDevice): void {
    const { dss } = this.hub;
    const region = this.scenario.region;
    const truth = this.truth();
    const conflicted = new Set(dss.conflicts(Number.MAX_SAFE_INTEGER).map((c) => c.guid));
    for (const r of dev.records()) {
      const listed = project(normalizeContact(r.data, region), dev.capacity);
      if (truth.some((c) => isDuplicate(listed, project(c, dev.capacity)))) continue;
      const m = dss.mapByLuid(id, r.luid);
      const rec = m ? dss.truth(m.guid) : undefined;
      if (m && (!rec || conflicted.has(m.guid))) continue;
      if (m && rec) {
        const have = toElements(listed);
        const want = toElements(project(rec.contact, dev.capacity));
        const differing = new Set([...have.keys(), ...want.keys()].filter((k) => have.get(k) !== want.get(k)));
        const writtenSince = [...differing].every((k) => {
          const w = rec.prov[k] ?? rec.prov[ALL_ELEMENTS];
          return w !== undefined && w.spid !== id && w.run >= m.run;
        });
        if (writtenSince) continue;
      }
      throw new Fail(`not converged: the read-only ${id} lists ${describeContact(r.data)}, which the truth does not hold`);
    }
  }

  checkNoDuplicates(): void {
    const sets: [string, Contact[]][] = [['the truth', this.truth()], ...[...this.devices].map(([id, d]): [string, Contact[]] => [id, d.records().map((r) => normalizeContact(r.data, this.scenario.region))])];
    for (const [where, contacts] of sets) {
      const dup = firstDuplicate(contacts);
      if (dup) throw new Fail(`duplicates in ${where}: ${describeContact(dup[0])} and ${describeContact(dup[1])}`);
    }
  }

  async checkIdempotent(): Promise<void> {
    const before = this.hub.dss.stateDigest();
    const held = [...this.devices].map(([id, d]) => [id, JSON.stringify(d.records().map((r) => [r.luid, r.data]))]);
    const received = [...this.devices.values()].map((d) => d.received.length);
    await this.run(this.allDevices());
    const sent = [...this.devices.values()].reduce((n, d, i) => n + d.received.length - received[i]!, 0);
    if (sent > 0) {
      const ops = [...this.devices.entries()].flatMap(([id, d], i) => d.received.slice(received[i]).map((op) => `${op.action} to ${id}`));
      throw new Fail(`not idempotent: an extra run sent ${sent} operation(s): ${ops.slice(0, 5).join(', ')}`);
    }
    if (this.hub.dss.stateDigest() !== before) throw new Fail('not idempotent: an extra run changed the DSS');
    for (const [id, snap] of held) {
      if (JSON.stringify(this.devices.get(id!)!.records().map((r) => [r.luid, r.data])) !== snap) throw new Fail(`not idempotent: an extra run changed ${id}`);
    }
  }

  conflictsGained(): number {
    return this.hub.dss.conflictCount() - this.initialConflicts;
  }
}

export async function runScenario(scenario: Scenario, opts: { tmpRoot?: string } = {}): Promise<ScenarioResult> {
  const session = new ScenarioSession(scenario, opts.tmpRoot);
  const region = scenario.region;
  try {
    for (const [i, s] of scenario.steps.entries()) {
      try {
        await session.step(s);
      } catch (e) {
        if (e instanceof Fail) throw new Fail(`step ${i + 1}: ${e.message}`);
        throw e;
      }
    }
    const ex = scenario.expect;
    // The extra fault-free run of `converged`, or one settling run.
    await session.run(session.allDevices());
    if (ex.converged) session.checkConverged();
    if (ex.contacts) sameMultiset(session.truth(), ex.contacts.map(toContact), region, 'the truth');
    for (const [id, cs] of Object.entries(ex.devices ?? {})) {
      sameMultiset(session.devices.get(id)!.records().map((r) => r.data), cs.map(toContact), region, `device ${id}`);
    }
    if (ex.conflicts !== undefined && session.conflictsGained() !== ex.conflicts) {
      throw new Fail(`expected ${ex.conflicts} conflict(s) in the log, found ${session.conflictsGained()}`);
    }
    if (ex.noDuplicates) session.checkNoDuplicates();
    if (ex.idempotent) await session.checkIdempotent();
    return { name: scenario.name, pass: true };
  } catch (e) {
    if (e instanceof Fail) return { name: scenario.name, pass: false, reason: e.message };
    return { name: scenario.name, pass: false, reason: `error: ${(e as Error).stack ?? String(e)}` };
  } finally {
    await session.dispose();
  }
}
