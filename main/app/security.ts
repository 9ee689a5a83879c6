// The Electron window's security settings, in one place and free of any runtime import of
// electron, so a test can read them (nothing may run Electron here). style.md: context
// isolation, sandbox, no Node in the page, a strict CSP, navigation, new windows and
// permission requests denied. (Signal and several templates ship `sandbox: false`; not us.)
import type { BrowserWindowConstructorOptions } from 'electron';
import { contentSecurityPolicy } from '../api/csp';

/** The renderer is served from this privileged custom scheme, never from file://, so the
 *  page has a real origin and cannot read the disk by URL. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'concord';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** Only the app's own scripts and styles; no network at all (the preload carries the API). */
export const CSP = contentSecurityPolicy("'none'");

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    title: 'Concord',
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

/** The page may "navigate" only within itself (fragment routing); anything else is denied. */
export function isAllowedNavigation(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.pathname === '/index.html';
  } catch {
    return false;
  }
}

/** IPC is answered only for the app's own top frame. */
export function isTrustedSender(frameUrl: string | undefined, isMainFrame: boolean): boolean {
  return isMainFrame && typeof frameUrl === 'string' && isAllowedNavigation(frameUrl);
}

/** Every permission (camera, notifications from the page, geolocation, …) is refused; the
 *  app shows notifications from the main process, not from the page. */
export function permissionDecision(_permission: string): boolean {
  return false;
}

export const WINDOW_OPEN_DECISION = { action: 'deny' } as const;
