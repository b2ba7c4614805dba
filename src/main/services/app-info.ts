/**
 * `app:info`: what this installation is. Electron-free: the same handler serves the desktop shell
 * and the web server, and reads Electron's versions from `process.versions` when it runs there.
 */
import pkg from '../../../package.json' with { type: 'json' };
import { CLOCK_MODES, type AppInfo } from '../../shared/ipc.ts';
import type { CallContext } from '../rpc.ts';

export function appInfo(_input: undefined, ctx: CallContext): AppInfo {
  const info: AppInfo = {
    name: pkg.name,
    version: pkg.version,
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    shell: ctx.shell,
    clocks: [...CLOCK_MODES],
  };
  // Present only when the back end is Electron's main process.
  const { electron, chrome } = process.versions as NodeJS.ProcessVersions & { electron?: string; chrome?: string };
  if (electron) info.electron = electron;
  if (chrome) info.chrome = chrome;
  return info;
}
