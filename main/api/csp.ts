// The page's content-security policy, one for both shells (style.md: a strict CSP): only the
// app's own scripts, styles, images and fonts, no inline script, no plugins, no base, no form
// posted anywhere, never framed. The shells differ only in what the page may connect to: the
// headless hub's page talks to its own server (HTTP and WebSocket), the Electron window's page
// only through its preload, so to nothing at all.

/** The policy, with `connectSrc` as the page's connect-src sources ("'none'" for none). */
export function contentSecurityPolicy(connectSrc: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connectSrc}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
