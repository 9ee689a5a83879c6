// The example scenarios of the design (scenario-format.md), played by the real runner. The
// repository carries its own copies (test/scenarios/shared/), so a clone alone runs them;
// where the design folder sits beside the clone (../shared/scenarios, in CI and on
// developers' machines) its files are played instead, and the copies must equal them.
// Finding neither is a failure, never a silent skip.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../main/scenario/format';
import { runScenario } from '../main/scenario/runner';

const ROOT = path.resolve(import.meta.dirname, '..');
const COPIES = path.join(ROOT, 'test', 'scenarios', 'shared');
const SHARED = path.resolve(ROOT, '..', 'shared', 'scenarios');

const jsonIn = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : []);
const dir = jsonIn(SHARED).length > 0 ? SHARED : COPIES;
const files = jsonIn(dir);

describe(`the shared scenarios (${path.relative(ROOT, dir)})`, () => {
  it('are found', () => {
    expect(files, `no scenarios in ${SHARED} nor in ${COPIES}`).not.toEqual([]);
    expect(jsonIn(COPIES)).toHaveLength(6);
  });

  it.skipIf(dir !== SHARED)('the repository copies equal the design folder', () => {
    expect(jsonIn(COPIES)).toEqual(files);
    for (const f of files) expect(fs.readFileSync(path.join(COPIES, f), 'utf8'), f).toBe(fs.readFileSync(path.join(SHARED, f), 'utf8'));
  });

  for (const f of files) {
    it(f, async () => {
      const file = path.join(dir, f);
      const r = await runScenario(parseScenario(fs.readFileSync(file, 'utf8'), file));
      expect(r.reason ?? 'passed').toBe('passed');
    });
  }
});
