/**
 * The desktop shell's rules, kept free of electron so they can be tested: the renderer is served on a custom
 * `app://raftlab/` origin instead of file:// (a file:// page may read any local file the user can; an app:// page
 * reaches only the renderer's own folder), and links leave the app only for a short list of sites.
 */
import path from 'node:path';

export const appScheme = 'app';
export const appHost = 'raftlab';
export const appOrigin = `${appScheme}://${appHost}`;

/** The renderer file an app:// URL names, or undefined for anything outside the renderer's folder. */
export function resolveAppFile(rendererDir: string, url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${appScheme}:` || parsed.host !== appHost) return undefined;
  let relative: string;
  try {
    relative = decodeURIComponent(parsed.pathname);
  } catch {
    return undefined;
  }
  if (relative.includes('\0')) return undefined;
  const root = path.resolve(rendererDir);
  const file = path.join(root, path.normalize(`/${relative === '/' ? '/index.html' : relative}`));
  return file.startsWith(root + path.sep) ? file : undefined;
}

/** Sites a link in the app may open in the user's browser: the lab's own pages and the projects it cites. */
export const externalHosts = ['pdos.csail.mit.edu', 'raft.github.io', 'github.com', 'nodejs.org', 'www.typescriptlang.org'];

/** Whether a link may be opened outside the app: https, on one of externalHosts, no credentials in it. */
export function externalAllowed(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && parsed.username === '' && parsed.password === '' && externalHosts.includes(parsed.hostname);
}
