// Bundles the Electron main process, the preload and the hub host with esbuild to
// dist/app/*.cjs (`npm run build:app`; `npm run app` and `npm run dist` call it). Native
// modules stay external (electron-builder unpacks them from the asar), and the DSS
// migrations are copied beside the bundle (main/dss/db.ts looks in __dirname/migrations).
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const ENTRIES = { 'electron-main': 'main/app/electron-main.ts', preload: 'main/app/preload.ts', 'hub-host': 'main/app/hub-host.ts' } as const;
// dbus-next's optional `x11` and `usocket` are required lazily, inside try blocks, and are
// not installed: left external, a missing one is the library's own fallback.
export const EXTERNAL = ['electron', 'better-sqlite3', 'serialport', '@serialport/*', 'usb', 'x11', 'usocket'];

export async function buildApp(outDir = path.join(ROOT, 'dist', 'app')): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const outputs: string[] = [];
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const outfile = path.join(outDir, `${name}.cjs`);
    await build({
      entryPoints: [path.join(ROOT, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: EXTERNAL,
      sourcemap: false,
      logLevel: 'warning',
      // db.ts reads import.meta.url only when __dirname is missing, which a CJS bundle has.
      logOverride: { 'empty-import-meta': 'silent' },
    });
    outputs.push(outfile);
  }
  cpSync(path.join(ROOT, 'main', 'dss', 'migrations'), path.join(outDir, 'migrations'), { recursive: true });
  // The serial-profile helper runs under python3 (native/rfcomm-link.ts looks beside the bundle).
  cpSync(path.join(ROOT, 'native', 'bluez-rfcomm.py'), path.join(outDir, 'bluez-rfcomm.py'));
  return outputs;
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const out = await buildApp();
  console.log(`Built ${out.map((f) => path.relative(ROOT, f)).join(', ')}`);
}
