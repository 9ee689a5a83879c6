import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../../main/scenario/format';

const ok = { name: 'n', devices: [{ id: 'a' }], steps: [{ sync: ['a'] }] };
const bad = (patch: (s: Record<string, unknown>) => void) => {
  const s = structuredClone(ok) as Record<string, unknown>;
  patch(s);
  return JSON.stringify(s);
};

describe('a malformed scenario names the file and the field at fault', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{', /x\.json: \(file\): not valid JSON/],
    ['unknown behaviour', bad((s) => ((s.devices as object[])[0] = { id: 'a', changeTracking: 'sometimes' })), /devices\[0\]\.changeTracking: must be "log" or "snapshot"/],
    ['sync of an unknown device', bad((s) => (s.steps = [{ sync: ['b'] }])), /steps\[0\]\.sync\[0\]: no device "b"/],
    ['fault on an offline device', bad((s) => ((s.devices as object[]).push({ id: 'b' }), (s.steps = [{ sync: ['a'], faults: [{ device: 'b', cutDuring: 'retrieve' }] }]))), /steps\[0\]\.faults\[0\]\.device: "b" is not online/],
    ['negative count', bad((s) => (s.steps = [{ sync: ['a'], faults: [{ hubCrash: 'afterAcks', count: -1 }] }])), /steps\[0\]\.faults\[0\]\.count: must be a whole number/],
    ['unknown contact field', bad((s) => (s.steps = [{ edit: 'a', add: { fn: 'x', phone: ['1'] } }])), /steps\[0\]\.add\.phone: unknown contact field/],
    ['update without key', bad((s) => (s.steps = [{ edit: 'a', update: { fn: 'x' } }])), /steps\[0\]\.update\.key: an update names the contact by its key/],
    ['unknown expectation', bad((s) => (s.expect = { convergd: true })), /expect\.convergd: unknown expectation/],
    ['capacity field', bad((s) => ((s.devices as object[])[0] = { id: 'a', capacity: { fields: ['fn', 'fax'] } })), /devices\[0\]\.capacity\.fields\[1\]: unknown field "fax"/],
    ['read-only on a log device', bad((s) => ((s.devices as object[])[0] = { id: 'a', readOnly: true })), /devices\[0\]\.readOnly: a read-only device must be "changeTracking": "snapshot".*"a" is "log"/],
    ['read-only not a boolean', bad((s) => ((s.devices as object[])[0] = { id: 'a', changeTracking: 'snapshot', readOnly: 'yes' })), /devices\[0\]\.readOnly: must be true or false/],
  ];
  for (const [what, text, re] of cases) {
    it(what, () => {
      expect(() => parseScenario(text, 'x.json')).toThrow(ScenarioError);
      expect(() => parseScenario(text, 'x.json')).toThrow(re);
    });
  }
  it('defaults: log behaviour, priority in list order, the editor highest, noDuplicates and idempotent on', () => {
    const s = parseScenario(JSON.stringify({ name: 'n', devices: [{ id: 'a' }, { id: 'b' }], steps: [] }), 'x');
    expect(s.devices.map((d) => [d.id, d.priority, d.changeTracking])).toEqual([
      ['a', 1, 'log'],
      ['b', 2, 'log'],
    ]);
    expect(s.hubPriority).toBe(0);
    expect(s.devices.some((d) => d.readOnly)).toBe(false);
    const ro = parseScenario(JSON.stringify({ name: 'n', devices: [{ id: 'a', changeTracking: 'snapshot', readOnly: true }], steps: [] }), 'x');
    expect(ro.devices[0]).toMatchObject({ id: 'a', changeTracking: 'snapshot', readOnly: true });
    expect(s.expect).toEqual({ noDuplicates: true, idempotent: true });
  });
});

describe('concord scenario run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-cli-'));
  const good = path.join(dir, 'good.json');
  const wrong = path.join(dir, 'wrong.json');
  const broken = path.join(dir, 'broken.json');
  fs.writeFileSync(good, JSON.stringify({ name: 'one add', devices: [{ id: 'a', initial: [{ fn: 'A B', tel: ['020 7946 0001'] }] }, { id: 'b' }], steps: [{ sync: ['a', 'b'] }], expect: { converged: true, contacts: [{ fn: 'A B', tel: ['+442079460001'] }] } }));
  fs.writeFileSync(wrong, JSON.stringify({ name: 'wrong number', devices: [{ id: 'a', initial: [{ fn: 'A B', tel: ['020 7946 0001'] }] }], steps: [{ sync: ['a'] }], expect: { contacts: [{ fn: 'A B', tel: ['+442079460002'] }] } }));
  fs.writeFileSync(broken, '{"name": 1}');
  const cli = path.resolve('bin/concord.mjs');

  it('prints PASS per passing scenario and exits 0', () => {
    const out = execFileSync(process.execPath, [cli, 'scenario', 'run', good], { encoding: 'utf8' });
    expect(out).toBe('PASS one add\n');
  });
  it('prints FAIL with the reason, and exits non-zero if any failed', () => {
    const r = spawnSync(process.execPath, [cli, 'scenario', 'run', good, wrong, broken], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('PASS one add');
    expect(lines[1]).toMatch(/^FAIL wrong number: the truth: expected 1 contact\(s\) \{A B; tel \+442079460002\}/);
    expect(lines[2]).toMatch(/^FAIL broken\.json: malformed scenario: .*broken\.json: name: must be a string/);
  });
  it('--json prints one object per scenario', () => {
    const r = spawnSync(process.execPath, [cli, 'scenario', 'run', '--json', good, wrong], { encoding: 'utf8' });
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; pass: boolean; reason?: string });
    expect(objs.map((o) => [o.name, o.pass])).toEqual([
      ['one add', true],
      ['wrong number', false],
    ]);
    expect(objs[1]?.reason).toMatch(/expected 1 contact/);
  });
});
