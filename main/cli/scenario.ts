// `concord scenario run FILE... [--json]`: one line per scenario, non-zero if any failed.
import fs from 'node:fs';
import path from 'node:path';
import { parseScenario, ScenarioError } from '../scenario/format';
import { runScenario } from '../scenario/runner';
import { parseCommandArgs } from './args';
import type { Command } from './command';

export const scenarioRunCommand: Command = {
  words: ['scenario', 'run'],
  args: 'FILE... [--json]',
  summary: 'play sync scenarios against the real hub',
  run: async (argv) => {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } }, { min: 1, max: Infinity, names: 'a scenario file' });
    let failed = 0;
    for (const file of positionals) {
      let result: { name: string; pass: boolean; reason?: string };
      try {
        const text = fs.readFileSync(file, 'utf8');
        result = await runScenario(parseScenario(text, file));
      } catch (e) {
        const reason = e instanceof ScenarioError ? `malformed scenario: ${e.message}` : `cannot run ${file}: ${(e as Error).message}`;
        result = { name: path.basename(file), pass: false, reason };
      }
      if (!result.pass) failed += 1;
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ file, name: result.name, pass: result.pass, status: result.pass ? 'PASS' : 'FAIL', ...(result.reason ? { reason: result.reason } : {}) })}\n`);
      } else {
        process.stdout.write(result.pass ? `PASS ${result.name}\n` : `FAIL ${result.name}: ${result.reason}\n`);
      }
    }
    return failed > 0 ? 1 : 0;
  },
};
