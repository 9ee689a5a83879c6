// `npm run bench [-- name...]`: the project's benchmarks. Runs bench/core.ts and, when they
// exist, bench/at-phonebook.ts, syncml.ts, ui.ts, fuzz.ts and reliability.ts; each exports `run()`. A
// benchmark that throws is reported and the others still run. Speed never makes this exit
// non-zero; only a name that does not exist does.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ALL = ['core', 'at-phonebook', 'syncml', 'ui', 'fuzz', 'reliability', 'carddav'];

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = asked.filter((a) => !ALL.includes(a));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${ALL.join(', ')}`);
  process.exit(2);
}

// The names are ours: a benchmark that reads its own arguments (bench/syncml.ts takes a
// size) must not take a benchmark's name for one.
process.argv.splice(2);

for (const name of asked.length > 0 ? asked : ALL) {
  const file = path.join(here, `${name}.ts`);
  if (!fs.existsSync(file)) {
    if (asked.length > 0) console.log(`\n(bench/${name}.ts does not exist yet; skipped)`);
    continue;
  }
  const started = Date.now();
  try {
    const mod = (await import(pathToFileURL(file).href)) as { run?: () => Promise<void> };
    if (typeof mod.run !== 'function') throw new Error(`bench/${name}.ts exports no run()`);
    await mod.run();
    console.log(`\n(bench/${name}.ts took ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    console.error(`\nbench/${name}.ts failed: ${(e as Error)?.stack ?? String(e)}`);
  }
}
