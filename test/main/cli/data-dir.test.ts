// One data folder rule: `concord serve` and every other command open the same folder,
// `CONCORD_DATA` when set, else the platform's per-user data folder.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDataDir } from '../../../main/app/paths';
import { parseServeArgs } from '../../../main/app/serve';
import { main } from '../../../main/cli/main';

const dirs: string[] = [];
const saved = process.env.CONCORD_DATA;
afterEach(() => {
  if (saved === undefined) delete process.env.CONCORD_DATA;
  else process.env.CONCORD_DATA = saved;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the data folder', () => {
  it('is CONCORD_DATA when set, else the platform folder', () => {
    expect(defaultDataDir({ CONCORD_DATA: '/srv/concord' }, 'linux', '/home/u')).toBe('/srv/concord');
    expect(defaultDataDir({ CONCORD_DATA: '/srv/concord' }, 'darwin', '/Users/u')).toBe('/srv/concord');
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.local/share/concord');
    expect(defaultDataDir({ XDG_DATA_HOME: '/x' }, 'linux', '/home/u')).toBe('/x/concord');
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/Concord');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Roaming\\Concord');
  });

  it('is the same for serve and for every other command', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'concord-data-rule-'));
    dirs.push(dir);
    process.env.CONCORD_DATA = dir;
    const serve = parseServeArgs(['serve']);
    expect(typeof serve === 'object' && serve.dataDir).toBe(dir);
    // A command without --data opens the hub in that folder.
    expect(existsSync(path.join(dir, 'concord.sqlite'))).toBe(false);
    const out = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await main(['devices', 'list'])).toBe(0);
    } finally {
      process.stdout.write = out;
    }
    expect(existsSync(path.join(dir, 'concord.sqlite'))).toBe(true);
  });
});
