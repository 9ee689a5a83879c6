// The Electron shell's security settings (style.md): nothing can run Electron here, so the
// options object and the decision functions the shell uses are checked directly, and the
// shell's source is checked for wiring them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_URL, CSP, WINDOW_OPEN_DECISION, isAllowedNavigation, isTrustedSender, permissionDecision, windowOptions } from '../../../main/app/security';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const mainSource = readFileSync(path.join(root, 'main/app/electron-main.ts'), 'utf8');
const preloadSource = readFileSync(path.join(root, 'main/app/preload.ts'), 'utf8');

describe('BrowserWindow options', () => {
  const web = windowOptions('/x/preload.cjs').webPreferences!;
  it('isolate the page and keep Node out of it', () => {
    expect(web.contextIsolation).toBe(true);
    expect(web.sandbox).toBe(true);
    expect(web.nodeIntegration).toBe(false);
    expect(web.nodeIntegrationInWorker).toBe(false);
    expect(web.nodeIntegrationInSubFrames).toBe(false);
    expect(web.webviewTag).toBe(false);
    expect(web.webSecurity).toBe(true);
    expect(web.allowRunningInsecureContent).toBe(false);
    expect(web.preload).toBe('/x/preload.cjs');
  });
  it('the shell builds its window from these options', () => {
    expect(mainSource).toMatch(/new BrowserWindow\(windowOptions\(/);
  });
});

describe('content security policy', () => {
  const directives = new Map(CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));
  it('allows only the app itself', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(CSP).not.toMatch(/unsafe-(inline|eval)/);
  });
  it('is sent with every page of the app', () => {
    expect(mainSource).toMatch(/'Content-Security-Policy': CSP/);
  });
});

describe('navigation, new windows and permissions', () => {
  it('allows only the app page itself', () => {
    expect(isAllowedNavigation(APP_URL)).toBe(true);
    expect(isAllowedNavigation(`${APP_URL}#/devices`)).toBe(true);
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'app://other/index.html', 'javascript:alert(1)', 'not a url', 'http://127.0.0.1:1234/']) {
      expect(isAllowedNavigation(url), url).toBe(false);
    }
  });
  it('denies new windows and every permission', () => {
    expect(WINDOW_OPEN_DECISION).toEqual({ action: 'deny' });
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) expect(permissionDecision(p)).toBe(false);
  });
  it('answers IPC only from the app top frame', () => {
    expect(isTrustedSender(APP_URL, true)).toBe(true);
    expect(isTrustedSender(APP_URL, false)).toBe(false);
    expect(isTrustedSender('https://evil.example/', true)).toBe(false);
    expect(isTrustedSender(undefined, true)).toBe(false);
  });
  it('the shell wires every guard', () => {
    for (const s of ["'will-navigate'", "'will-redirect'", "'will-attach-webview'", 'setWindowOpenHandler(() => WINDOW_OPEN_DECISION)', 'setPermissionRequestHandler', 'setPermissionCheckHandler', 'requestSingleInstanceLock', 'isTrustedSender(']) {
      expect(mainSource, s).toContain(s);
    }
  });
});

describe('preload', () => {
  it('exposes one function per request, never ipcRenderer or a generic send', () => {
    expect(preloadSource).toMatch(/exposeInMainWorld\('concord', bridge\)/);
    expect(preloadSource).toMatch(/for \(const name of REQUEST_NAMES\)/);
    expect(preloadSource).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
    expect(preloadSource).not.toMatch(/\bsend\s*[:=]/);
  });
});

describe('the bundles', () => {
  it('main, preload and hub host compile; the sandboxed preload requires only electron', async () => {
    const { buildApp } = await import('../../../main/app/build');
    const { mkdtempSync } = await import('node:fs');
    const os = await import('node:os');
    const out = mkdtempSync(path.join(os.tmpdir(), 'concord-app-'));
    const files = await buildApp(out);
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['electron-main.cjs', 'hub-host.cjs', 'preload.cjs']);
    const preload = readFileSync(path.join(out, 'preload.cjs'), 'utf8');
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
  });
});
