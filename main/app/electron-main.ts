// The Electron shell: the hub in a utility process, the same React UI as the headless hub
// behind a preload bridge, a tray with "Sync now" and the status, a single-instance lock,
// notifications when a sync ends with conflicts or fails, and start at login (off unless
// the user turns it on), and a notification when a device's mass deletion is held (once per
// hold: hold-notify.ts). Every security setting comes from security.ts (tested there).
import { app, BrowserWindow, Menu, Notification, Tray, ipcMain, nativeImage, protocol, session, utilityProcess, type UtilityProcess } from 'electron';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { REQUEST_NAMES, type Events, type HoldView, type Result, type RunSummary, type Settings } from '../api/contract';
import { holdNotices, loadNotified, notifiedFile, saveNotified } from './hold-notify';
import type { HostIn, HostOut } from './hub-host';
import { setStartsAtLogin, startsAtLogin, type LoginItemSystem } from './login-item';
import { defaultDataDir } from './paths';
import { APP_HOST, APP_SCHEME, APP_URL, CSP, WINDOW_OPEN_DECISION, isAllowedNavigation, isTrustedSender, permissionDecision, windowOptions } from './security';

// Bundled to dist/app/electron-main.cjs; the renderer build is at renderer/dist.
const APP_DIR = __dirname;
const RENDERER_DIR = path.resolve(APP_DIR, '..', '..', 'renderer', 'dist');
const TRAY_ICON =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAQklEQVR4nGNgoDaQj9//Hx+mSDNeQ9AVoQO8huDTiM8gvAbgchFeA3BpxiU/HA2gOBDJjkaKExJVkjKxhuDVTA4AAMQ61GD0ytm2AAAAAElFTkSuQmCC';
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2' };

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } }]);

let win: BrowserWindow | null = null;
let tray: Tray | null = null;
let hub: UtilityProcess | null = null;
let status = 'Starting…';
let quitting = false;
/** Phones offered for pairing now (a notification when one more appears). */
let offered = 0;
let nextId = 1;
/** Holds notified already (their keys), and a check of the holds waiting to run. */
let notifiedHolds: Set<string> | null = null;
let holdCheck: NodeJS.Timeout | null = null;
const waiting = new Map<number, (r: Result<unknown>) => void>();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  void app.whenReady().then(start);
}

function callHub(channel: string, args: unknown): Promise<Result<unknown>> {
  return new Promise((resolve) => {
    if (!hub) return resolve({ ok: false, error: { code: 'closed', message: 'The hub is not running.' } });
    const id = nextId++;
    waiting.set(id, resolve);
    hub.postMessage({ type: 'call', id, channel, args } satisfies HostIn);
  });
}

/** How this app is started at login: Electron's login items, or (Linux) an autostart entry
 *  that runs the AppImage, or electron with this app's folder; into the tray only. */
function loginItems(): LoginItemSystem {
  const command = process.env.APPIMAGE ? [process.env.APPIMAGE] : app.isPackaged ? [process.execPath] : [process.execPath, app.getAppPath()];
  return {
    platform: process.platform,
    env: process.env,
    home: app.getPath('home'),
    command,
    electron: {
      get: () => app.getLoginItemSettings().openAtLogin,
      set: (on) => app.setLoginItemSettings({ openAtLogin: on, args: ['--hidden'] }),
    },
  };
}

/** Start at login is the desktop app's own setting (the hub in its utility process cannot
 *  set it): answered here; the rest of Settings by the hub. */
async function settingsCall(name: string, args: unknown): Promise<Result<unknown>> {
  if (name === 'settings:setStartAtLogin') {
    const on = (args as { on?: unknown } | null)?.on;
    if (typeof on !== 'boolean') return { ok: false, error: { code: 'bad-request', message: 'settings:setStartAtLogin: on must be true or false.' } };
    try {
      setStartsAtLogin(loginItems(), on);
    } catch (e) {
      return { ok: false, error: { code: 'internal', message: `Concord could not change how it starts at login (${(e as Error).message}).` } };
    }
    rebuildTrayMenu();
    return settingsCall('settings:get', {});
  }
  const r = await callHub(name, args);
  return r.ok ? { ok: true, value: { ...(r.value as Settings), startAtLogin: startsAtLogin(loginItems()) } } : r;
}

function startHub(): void {
  // Passed through to the hub: --demo, --demo-phone, --lan-port N, --lan-host ADDR.
  const pass: string[] = [];
  for (const f of ['--demo', '--demo-phone']) if (process.argv.includes(f)) pass.push(f);
  for (const f of ['--lan-port', '--lan-host']) {
    const i = process.argv.indexOf(f);
    if (i >= 0 && process.argv[i + 1]) pass.push(f, process.argv[i + 1]!);
  }
  const args = [defaultDataDir(), ...pass];
  hub = utilityProcess.fork(path.join(APP_DIR, 'hub-host.cjs'), args, { serviceName: 'Concord hub', stdio: 'inherit' });
  hub.on('message', (m: HostOut) => {
    switch (m.type) {
      case 'ready':
        setStatus('Idle');
        checkHoldsSoon();
        break;
      case 'reply':
        waiting.get(m.id)?.(m.result as Result<unknown>);
        waiting.delete(m.id);
        break;
      case 'event':
        win?.webContents.send(`event:${m.event}`, m.payload);
        onHubEvent(m.event as keyof Events, m.payload);
        break;
      case 'fatal':
        setStatus(`The hub could not start: ${m.message}`);
        break;
      case 'closed':
        break;
    }
  });
  hub.on('exit', (code) => {
    hub = null;
    for (const [, done] of waiting) done({ ok: false, error: { code: 'closed', message: 'The hub stopped.' } });
    waiting.clear();
    if (!quitting) {
      setStatus(`The hub stopped (code ${code}); restarting…`);
      setTimeout(startHub, 1000);
    }
  });
}

/** A hold can begin at the end of any run (or end with an answer): the holds are read again
 *  shortly after the hub says something changed, and each new one is notified once. */
function checkHoldsSoon(): void {
  if (holdCheck) clearTimeout(holdCheck);
  holdCheck = setTimeout(() => {
    holdCheck = null;
    void checkHolds();
  }, 300);
}

async function checkHolds(): Promise<void> {
  const r = await callHub('holds:list', {});
  if (!r.ok) return;
  const file = notifiedFile(app.getPath('userData'));
  notifiedHolds ??= loadNotified(file);
  const { notices, remember } = holdNotices(r.value as HoldView[], notifiedHolds);
  const changed = remember.size !== notifiedHolds.size || [...remember].some((k) => !notifiedHolds!.has(k));
  notifiedHolds = remember;
  if (changed) {
    try {
      saveNotified(file, remember);
    } catch (e) {
      console.error('concord: could not remember the notified holds', e);
    }
  }
  // Clicking shows the window, where the hold's banner is at the top of every screen.
  for (const n of notices) notify(n.title, n.body);
}

function onHubEvent(event: keyof Events, payload: unknown): void {
  if (event === 'hub:changed') checkHoldsSoon();
  if (event === 'devices:discovered') {
    const list = payload as Events['devices:discovered'];
    const grew = list.length > offered;
    offered = list.length;
    if (grew) notify('New phone connected', `${list[list.length - 1]!.name} can be paired. Open Devices to pair it.`);
    return;
  }
  if (event !== 'sync:progress') return;
  const p = payload as Events['sync:progress'];
  if (p.type === 'run-started' && p.devices.length > 0) setStatus('Syncing…');
  if (p.type === 'run-finished') {
    const s: RunSummary = p.summary;
    setStatus(s.outcome === 'ok' ? 'Up to date' : s.outcome === 'partial' ? 'Last sync partly done' : 'Last sync failed');
    if (s.devices.length === 0) return;
    if (s.conflicts > 0) notify('Sync finished with conflicts', `${s.conflicts} ${s.conflicts === 1 ? 'contact was' : 'contacts were'} changed on two devices. Open Conflicts to review.`);
    else if (s.outcome !== 'ok') notify('Sync did not finish', s.error ?? 'A device did not finish; nothing was lost. Open Activity for details.');
  }
  if (p.type === 'run-failed') {
    setStatus('Last sync failed');
    notify('Sync failed', p.reason);
  }
}

function notify(title: string, body: string): void {
  if (!Notification.isSupported()) return;
  const n = new Notification({ title, body, silent: false });
  n.on('click', () => showWindow());
  n.show();
}

function setStatus(s: string): void {
  status = s;
  tray?.setToolTip(`Concord — ${s}`);
  rebuildTrayMenu();
}

function rebuildTrayMenu(): void {
  if (!tray) return;
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: status, enabled: false },
      { type: 'separator' },
      { label: 'Sync now', click: () => void callHub('sync:run', {}) },
      { label: 'Open Concord', click: () => showWindow() },
      {
        label: 'Start at login',
        type: 'checkbox',
        checked: startsAtLogin(loginItems()),
        click: (item) => setStartsAtLogin(loginItems(), item.checked),
      },
      { type: 'separator' },
      { label: 'Quit Concord', click: () => app.quit() },
    ]),
  );
}

function showWindow(): void {
  if (!win) createWindow();
  if (win?.isMinimized()) win.restore();
  win?.show();
  win?.focus();
}

function createWindow(): void {
  win = new BrowserWindow(windowOptions(path.join(APP_DIR, 'preload.cjs')));
  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => (win = null));
  void win.loadURL(APP_URL);
}

async function serveRenderer(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== APP_HOST) return new Response('Not found', { status: 404 });
  const file = path.resolve(RENDERER_DIR, '.' + decodeURIComponent(url.pathname));
  if (!file.startsWith(RENDERER_DIR + path.sep)) return new Response('Not found', { status: 404 });
  try {
    const body = await fs.readFile(file);
    return new Response(body, {
      headers: { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' },
    });
  } catch {
    return new Response('Not found', { status: 404 });
  }
}

function start(): void {
  protocol.handle(APP_SCHEME, serveRenderer);
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(permissionDecision(permission)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => permissionDecision(permission));
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (e, url) => {
      if (!isAllowedNavigation(url)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isAllowedNavigation(url)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => WINDOW_OPEN_DECISION);
  });
  // One handler per request of the contract; each checks that the sender is our own page
  // before the (run-time validated) request reaches the hub.
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(name, (event, args: unknown) => {
      const frame = event.senderFrame;
      if (!frame || !isTrustedSender(frame.url, frame === event.sender.mainFrame)) {
        return { ok: false, error: { code: 'unauthorized', message: 'Requests are accepted only from the Concord window.' } };
      }
      return name.startsWith('settings:') ? settingsCall(name, args) : callHub(name, args);
    });
  }
  startHub();
  tray = new Tray(nativeImage.createFromDataURL(TRAY_ICON));
  tray.on('click', () => showWindow());
  setStatus(status);
  // Started at login: into the tray only; the window opens from the tray (or a second start).
  if (!process.argv.includes('--hidden')) createWindow();
}

// Closing the window keeps the hub and tray running (syncs go on); Quit stops both.
app.on('window-all-closed', () => undefined);
app.on('before-quit', (e) => {
  if (quitting || !hub) return;
  quitting = true;
  e.preventDefault();
  const h = hub;
  const done = () => app.quit();
  h.once('exit', done);
  h.postMessage({ type: 'shutdown' } satisfies HostIn);
  // A run stops at its next acknowledgement; do not wait forever for a stuck device.
  setTimeout(() => h.kill(), 10_000);
});
