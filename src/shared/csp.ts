/**
 * The renderer's Content-Security-Policy, defined once for every place that sets it:
 *  - the meta tag the renderer build injects into index.html (electron.vite.config.ts),
 *  - the header Electron main adds to responses (src/main/index.ts),
 *  - the header the web server sends (src/main/web-server.ts).
 *
 * The production policy allows only the app's own files: no inline script or style, no eval, no
 * remote hosts. The dev server needs two relaxations: Vite injects component styles as inline
 * <style> tags, and hot reload talks over a WebSocket to the dev server.
 */

export interface CspOptions {
  /** Origin of the Vite dev server (e.g. `http://localhost:5173`) when running `electron-vite dev`. */
  devServer?: string;
  /**
   * Add `frame-ancestors 'none'`. Only valid in a header: browsers ignore it (with a console
   * warning) when it comes from a meta tag.
   */
  header?: boolean;
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  const { devServer, header = false } = options;
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'object-src': ["'none'"],
  };
  if (devServer) {
    const origin = new URL(devServer);
    const ws = `${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}`;
    directives['style-src']?.push("'unsafe-inline'");
    directives['connect-src']?.push(origin.origin, ws);
  }
  if (header) directives['frame-ancestors'] = ["'none'"];
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}
