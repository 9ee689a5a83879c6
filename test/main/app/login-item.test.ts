// Start at login on Linux: an XDG autostart entry written and removed in a real folder;
// Electron's login items (macOS, Windows) are called through, not imitated.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { autostartEntry, autostartFile, setStartsAtLogin, startsAtLogin, type LoginItemSystem } from '../../../main/app/login-item';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function linux(command = ['/opt/Concord/Concord.AppImage']): LoginItemSystem & { calls: boolean[] } {
  const home = mkdtempSync(path.join(os.tmpdir(), 'concord-login-'));
  dirs.push(home);
  const calls: boolean[] = [];
  return { platform: 'linux', env: {}, home, command, electron: { get: () => false, set: (on) => calls.push(on) }, calls };
}

it('writes and removes ~/.config/autostart/concord.desktop on Linux, starting into the tray', () => {
  const sys = linux(['/usr/lib/electron/electron', '/home/ann/my apps/concord']);
  const file = autostartFile(sys.env, sys.home);
  expect(file).toBe(path.join(sys.home, '.config', 'autostart', 'concord.desktop'));
  expect(startsAtLogin(sys)).toBe(false);
  setStartsAtLogin(sys, true);
  expect(startsAtLogin(sys)).toBe(true);
  const text = readFileSync(file, 'utf8');
  expect(text).toMatch(/^\[Desktop Entry\]\nType=Application\nName=Concord\n/);
  expect(text).toContain('Exec=/usr/lib/electron/electron "/home/ann/my apps/concord" --hidden\n');
  // A desktop that marks the entry off instead of deleting it is read as off.
  writeFileSync(file, text.replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
  expect(startsAtLogin(sys)).toBe(false);
  setStartsAtLogin(sys, true);
  setStartsAtLogin(sys, false);
  expect(startsAtLogin(sys)).toBe(false);
  setStartsAtLogin(sys, false);
  expect(sys.calls).toEqual([]);
});

it('honours XDG_CONFIG_HOME, and quotes what the Exec line needs quoted', () => {
  expect(autostartFile({ XDG_CONFIG_HOME: '/tmp/cfg' }, '/home/ann')).toBe('/tmp/cfg/autostart/concord.desktop');
  expect(autostartEntry(['/a b/c"d$e'])).toContain('Exec="/a b/c\\"d\\$e" --hidden');
});

it('leaves macOS and Windows to Electron\'s login items', () => {
  const sys = { ...linux(), platform: 'darwin' as const };
  setStartsAtLogin(sys, true);
  expect(sys.calls).toEqual([true]);
  expect(startsAtLogin(sys)).toBe(false);
});
