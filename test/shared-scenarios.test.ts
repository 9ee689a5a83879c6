// The example scenarios of the design (../shared/scenarios/), played by the real runner.
// The folder sits beside the repository in CI and on developers' machines.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../main/scenario/format';
import { runScenario } from '../main/scenario/runner';

const dir = path.resolve('../shared/scenarios');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];

describe.skipIf(files.length === 0)(`the shared scenarios (${dir})`, () => {
  for (const f of files) {
    it(f, async () => {
      const file = path.join(dir, f);
      const r = await runScenario(parseScenario(fs.readFileSync(file, 'utf8'), file));
      expect(r.reason ?? 'passed').toBe('passed');
    });
  }
});
