// "Start Concord when I log in" for the desktop app. Electron's login items cover macOS and
// Windows; on Linux they do nothing, so there the app writes (or removes) an XDG autostart
// entry, ~/.config/autostart/concord.desktop, which every desktop that follows the
// freedesktop.org autostart rules runs at login. The file work is plain Node, testable
// without Electron; electron-main.ts passes Electron's own functions for the other systems.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LoginItemSystem {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
  /** The command line that starts the app (the AppImage, or electron with the app folder). */
  command: string[];
  /** Electron's login items, for macOS and Windows. */
  electron: { get(): boolean; set(on: boolean): void };
}

export function autostartFile(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'autostart', 'concord.desktop');
}

/** One argument of an Exec line, quoted as the Desktop Entry specification asks. */
function execArg(a: string): string {
  if (/^[A-Za-z0-9_./:=+-]+$/.test(a)) return a;
  return `"${a.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function autostartEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Concord',
    'Comment=Keeps your contacts the same on every device',
    `Exec=${command.map(execArg).join(' ')} --hidden`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function startsAtLogin(sys: LoginItemSystem): boolean {
  if (sys.platform !== 'linux') return sys.electron.get();
  const file = autostartFile(sys.env, sys.home);
  // A desktop may leave the file and mark it off rather than delete it.
  return existsSync(file) && !/^(Hidden=true|X-GNOME-Autostart-enabled=false)$/m.test(readFileSync(file, 'utf8'));
}

export function setStartsAtLogin(sys: LoginItemSystem, on: boolean): void {
  if (sys.platform !== 'linux') return sys.electron.set(on);
  const file = autostartFile(sys.env, sys.home);
  if (!on) return rmSync(file, { force: true });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, autostartEntry(sys.command));
}
