// The layering rule itself (tools/eslint/layering.js), run by ESLint's RuleTester on small
// virtual files placed in each layer: every import down the rank table passes, every import
// up it (or across a rank) fails, and the rules apart from the stack (renderer, native/,
// native modules, electron, pure core) hold.
import path from 'node:path';
import { ESLint, RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import layering, { RANKS } from '../../tools/eslint/layering.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const root = path.resolve(import.meta.dirname, '..', '..');
const at = (file: string): string => path.join(root, file);
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' } });

/** A relative import of `target` (a repository path) from a file in `fromDir`. */
function importOf(fromDir: string, target: string, kind: 'value' | 'type' = 'value'): string {
  let spec = path.posix.relative(fromDir, target);
  if (!spec.startsWith('.')) spec = `./${spec}`;
  return kind === 'type' ? `import type { X } from '${spec}';` : `import { X } from '${spec}';`;
}

type Case = { code: string; filename: string };
const valid: Case[] = [];
const invalid: (Case & { errors: { message: RegExp }[] })[] = [];
const fails = (file: string, code: string, message: RegExp): void => {
  invalid.push({ code, filename: at(file), errors: [{ message }] });
};
const passes = (file: string, code: string): void => {
  valid.push({ code, filename: at(file) });
};

// Every ordered pair of layers of the stack: down passes, up fails (as a value import and as
// `import type`: a type-only upward import is still an upward dependency).
const layers = RANKS.flatMap((row, rank) => row.layers.map((layer) => ({ layer, rank, peers: row.peers === true })));
for (const a of layers) {
  for (const b of layers) {
    const file = `${a.layer}/x/file.ts`;
    for (const kind of ['value', 'type'] as const) {
      const code = importOf(`${a.layer}/x`, `${b.layer}/y/thing`, kind);
      if (a.layer === b.layer || b.rank < a.rank || (b.rank === a.rank && a.peers)) passes(file, code);
      else if (b.rank === a.rank) fails(file, code, /same rank/);
      else fails(file, code, /upward import/);
    }
  }
}

// The stack as the design names it, so a reshuffle of RANKS is a visible change.
const rankOf = (layer: string): number => layers.find((l) => l.layer === layer)!.rank;
it('ranks core < dss < hub < devices < scenario, api < app, cli', () => {
  const order = ['main/core', 'main/dss', 'main/hub', 'main/devices', 'main/api', 'main/app'].map(rankOf);
  for (let i = 1; i < order.length; i += 1) {
    if (!(order[i]! > order[i - 1]!)) throw new Error(`rank order broken at ${i}: ${order.join(',')}`);
  }
  if (rankOf('main/scenario') !== rankOf('main/api') || rankOf('main/cli') !== rankOf('main/app')) throw new Error('rows changed');
});

// Re-exports and dynamic imports are imports too.
fails('main/core/a.ts', "export { X } from '../hub/hub';", /upward import/);
fails('main/core/a.ts', "export * from '../dss/store';", /upward import/);
fails('main/hub/a.ts', "const m = await import('../devices/syncml/server');", /upward import/);
fails('main/dss/a.ts', 'const m = await import(`../api/contract`);', /upward import/);
passes('main/hub/a.ts', "export { X } from '../core/merge';");

// A folder of main/ the table does not know fails until it is ranked.
fails('main/newthing/a.ts', "import { X } from '../core/merge';", /not in the layering rank table/);
fails('main/core/a.ts', "import { X } from '../newthing/a';", /not in the layering rank table/);

// main/core is pure: no packages, no Node built-ins, except the pure phone-number library.
fails('main/core/a.ts', "import fs from 'node:fs';", /main\/core is pure/);
fails('main/core/a.ts', "import fs from 'fs';", /main\/core is pure/);
fails('main/core/a.ts', "import { WebSocket } from 'ws';", /main\/core is pure/);
passes('main/core/a.ts', "import { parsePhoneNumber } from 'libphonenumber-js/max';");
passes('main/hub/a.ts', "import crypto from 'node:crypto';");

// Native modules only in native/ and main/dss/.
for (const pkg of ['better-sqlite3', 'serialport', '@serialport/bindings-cpp', 'usb', 'dbus-next']) {
  passes('native/a.ts', `import M from '${pkg}';`);
  passes('main/dss/a.ts', `import M from '${pkg}';`);
  for (const file of ['main/hub/a.ts', 'main/devices/at-phonebook/a.ts', 'main/app/a.ts', 'main/cli/a.ts', 'renderer/src/a.ts']) {
    fails(file, `import M from '${pkg}';`, /native modules/);
  }
}

// native/ is imported only by main/devices and main/app, and imports nothing from main/.
passes('main/devices/at-phonebook/a.ts', "import { openSerial } from '../../../native/serial';");
passes('main/app/a.ts', "import { openSerial } from '../../native/serial';");
for (const layer of ['main/core', 'main/dss', 'main/hub', 'main/api', 'main/scenario', 'main/cli']) {
  fails(`${layer}/a.ts`, "import { openSerial } from '../../native/serial';", /native\/ is imported only/);
}
fails('native/a.ts', "import { X } from '../main/core/contact';", /native\/ imports nothing from main/);

// electron only in main/app.
passes('main/app/a.ts', "import { app } from 'electron';");
for (const file of ['main/api/a.ts', 'main/cli/a.ts', 'main/hub/a.ts', 'renderer/src/a.ts']) {
  fails(file, "import { app } from 'electron';", /electron is imported only/);
}

// The renderer: only `import type` from main/api; no Node built-ins.
passes('renderer/src/a.ts', "import type { Api } from '../../main/api/contract';");
passes('renderer/src/a.ts', "import { useState } from 'react';");
fails('renderer/src/a.ts', "import { Api } from '../../main/api/contract';", /only `import type` from main\/api/);
fails('renderer/src/a.ts', "import { type Api } from '../../main/api/contract';", /only `import type` from main\/api/);
fails('renderer/src/a.ts', "import type { Contact } from '../../main/core/contact';", /only `import type` from main\/api/);
fails('renderer/src/a.ts', "import type { Hub } from '../../main/hub/hub';", /only `import type` from main\/api/);
fails('renderer/src/a.ts', "import fs from 'node:fs';", /Node built-ins/);
fails('renderer/src/a.ts', "import path from 'path';", /Node built-ins/);
fails('main/api/a.ts', "import { App } from '../../renderer/src/App';", /may not import from renderer/);

// Production code never reaches into the tests, benchmarks or tooling; they may reach anywhere.
fails('main/hub/a.ts', "import { rng } from '../../test/lib/random';", /may not import from test/);
fails('main/core/a.ts', "import { run } from '../../bench/run';", /may not import from bench/);
passes('test/main/hub/a.test.ts', "import { Hub } from '../../../main/hub/hub';");
passes('bench/a.ts', "import { Hub } from '../main/hub/hub';");
passes('test/a.test.ts', "import M from 'better-sqlite3';");

tester.run('concord/layering', layering.rules.layering, { valid, invalid });

// The repository's own eslint.config.js turns the rule on for every file `npm run lint` sees.
describe('eslint.config.js', () => {
  const eslint = new ESLint({ cwd: root });
  const layeringErrors = async (file: string, code: string): Promise<string[]> => {
    const [result] = await eslint.lintText(code, { filePath: at(file) });
    return result!.messages.filter((m) => m.ruleId === 'concord/layering').map((m) => m.message);
  };
  it('fails an upward import', async () => {
    expect(await layeringErrors('main/core/zz-probe.ts', "export { Hub } from '../hub/hub';\n")).toEqual([
      expect.stringMatching(/upward import: main\/core \(rank 0\) may not import from main\/hub/),
    ]);
    expect(await layeringErrors('main/hub/zz-probe.ts', "export type { Api } from '../api/contract';\n")).toHaveLength(1);
  });
  it('passes a downward import', async () => {
    expect(await layeringErrors('main/hub/zz-probe.ts', "export { mergeActions } from '../core/merge';\n")).toEqual([]);
  });
});
