// The project's own scenarios (test/scenarios/*.json, scenario-format.md), each played in
// process against the real runner: the real engine and recovery code, a real SQLite DSS in
// a temporary folder, simulated devices failing on command. One test per file, failing
// with the runner's reason; a check that every file is a valid scenario; and a check that
// a deliberately broken expectation fails, so that these tests can fail at all.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, type Scenario } from '../main/scenario/format';
import { runScenario } from '../main/scenario/runner';

const DIR = path.resolve(__dirname, 'scenarios');
const TMP = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const FILES = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(file: string): Scenario {
  return parseScenario(fs.readFileSync(path.join(DIR, file), 'utf8'), path.join('test/scenarios', file));
}

describe('test/scenarios', () => {
  it('has at least 30 scenario files, each a valid scenario named NN-short-name.json', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(30);
    const names = new Set<string>();
    for (const file of FILES) {
      expect(file).toMatch(/^\d{2}-[a-z0-9]+(-[a-z0-9]+)*\.json$/);
      const s = load(file); // throws a ScenarioError naming the file and the field
      expect(s.steps.length, file).toBeGreaterThan(0);
      // Each tells a story with precise expectations, not only `converged`.
      expect(s.expect.contacts ?? s.expect.devices, `${file}: expect.contacts or expect.devices`).toBeDefined();
      expect(names.has(s.name), `${file}: name used twice`).toBe(false);
      names.add(s.name);
    }
  });

  for (const file of FILES) {
    it(file, async () => {
      const result = await runScenario(load(file), { tmpRoot: TMP });
      if (!result.pass) throw new Error(`${file}: ${result.reason ?? 'failed without a reason'}`);
    });
  }
});

describe('the scenario check can fail', () => {
  // A scenario whose expectations list phone numbers in the truth and on a device.
  const FILE = FILES.find((f) => f.startsWith('10-'))!;

  it(`${FILE} passes as written`, async () => {
    const result = await runScenario(load(FILE), { tmpRoot: TMP });
    expect(result.reason).toBeUndefined();
    expect(result.pass).toBe(true);
  });

  it('fails when an expected phone number in the truth is wrong', async () => {
    const s = load(FILE);
    const first = s.expect.contacts?.find((c) => c.tel && c.tel.length > 0);
    expect(first, 'the scenario expects a contact with a number').toBeDefined();
    first!.tel![0] = '+442079469876';
    const result = await runScenario(s, { tmpRoot: TMP });
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(/^the truth: expected .*\+442079469876/);
  });

  it('fails when an expected phone number on a device is wrong', async () => {
    const s = load(FILE);
    const [id, contacts] = Object.entries(s.expect.devices ?? {})[0] ?? [];
    const first = contacts?.find((c) => c.tel && c.tel.length > 0);
    expect(first, 'the scenario expects a device contact with a number').toBeDefined();
    first!.tel![0] = '020 7946 9876';
    const result = await runScenario(s, { tmpRoot: TMP });
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(new RegExp(`^device ${id}: expected `));
  });
});
