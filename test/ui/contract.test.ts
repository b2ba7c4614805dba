// The IPC contract (src/shared/ipc.ts) and its transport-free dispatcher (src/main/rpc.ts).
import { strict as assert } from 'node:assert';
import { readFile, readdir } from 'node:fs/promises';
import pkg from '../../package.json' with { type: 'json' };
import {
  IpcError,
  channels,
  contract,
  createClient,
  methodName,
  parseInput,
  type IpcResult,
  type Transport,
} from '../../src/shared/ipc.ts';
import { createDispatcher, type Handlers } from '../../src/main/rpc.ts';
import { handlers } from '../../src/main/services/index.ts';

describe('ui: IPC contract', () => {
  it('has a schema, a handler and a distinct method name for every channel', () => {
    assert.ok(channels.length > 0);
    const names = channels.map((c) => methodName(c));
    assert.equal(new Set(names).size, names.length, `method names collide: ${names.join(', ')}`);
    for (const name of channels) {
      assert.equal(typeof contract[name].input.safeParse, 'function', `${name} has no schema`);
      assert.equal(typeof handlers[name], 'function', `${name} has no handler`);
    }
  });

  it('turns channel names into method names', () => {
    assert.equal(methodName('app:info'), 'appInfo');
    assert.equal(methodName('runs:start-one'), 'runsStartOne');
  });

  it('accepts no argument for app:info, and explains a bad one', () => {
    assert.deepEqual(parseInput('app:info', undefined), { ok: true, value: undefined });
    const bad = parseInput('app:info', { verbose: true });
    assert.equal(bad.ok, false);
    if (bad.ok) return;
    assert.equal(bad.error.code, 'BAD_INPUT');
    assert.equal(bad.error.message, 'Bad argument for app:info: expected no argument, got an object');
    const nul = parseInput('app:info', null);
    assert.ok(!nul.ok && nul.error.message.endsWith('got null'));
  });

  it('dispatches to the handler with the shell of the transport', async () => {
    const dispatch = createDispatcher(handlers);
    const result = await dispatch('app:info', undefined, { shell: 'web' });
    assert.ok(result.ok, JSON.stringify(result));
    const info = result.value as { name: string; version: string; shell: string; node: string; clocks: string[]; electron?: string };
    assert.equal(info.name, pkg.name);
    assert.equal(info.version, pkg.version);
    assert.equal(info.shell, 'web');
    assert.equal(info.node, process.versions.node);
    assert.deepEqual(info.clocks, ['real', 'sim']);
    assert.equal(info.electron, undefined, 'plain Node has no Electron version');
  });

  it('validates before the handler runs, and reports unknown channels and handler failures', async () => {
    let calls = 0;
    const logged: string[] = [];
    const failing: Handlers = {
      ...handlers,
      'app:info': () => {
        calls++;
        throw new Error('disk on fire');
      },
    };
    const dispatch = createDispatcher(failing, { logError: (message) => logged.push(message) });

    const bad = await dispatch('app:info', 42, { shell: 'electron' });
    assert.deepEqual(bad.ok ? null : bad.error.code, 'BAD_INPUT');
    assert.equal(calls, 0, 'the handler must not see a bad argument');

    const unknown = await dispatch('app:nope', undefined, { shell: 'electron' });
    assert.deepEqual(unknown, { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'Unknown channel "app:nope"' } });

    const failed = await dispatch('app:info', undefined, { shell: 'electron' });
    assert.deepEqual(failed, { ok: false, error: { code: 'INTERNAL', message: 'app:info failed: disk on fire' } });
    assert.equal(calls, 1);
    assert.equal(logged.length, 1);
  });

  it('gives one typed client over any transport, throwing IpcError for an error result', async () => {
    const seen: unknown[] = [];
    let answer: IpcResult<unknown> = { ok: true, value: { version: '9.9.9' } };
    const transport: Transport = async (name, input) => {
      seen.push([name, input]);
      return answer;
    };
    const api = createClient(transport);
    assert.deepEqual(await api.appInfo(), { version: '9.9.9' });
    assert.deepEqual(seen, [['app:info', undefined]]);

    answer = { ok: false, error: { code: 'BAD_INPUT', message: 'nope' } };
    await assert.rejects(api.appInfo(), (err: unknown) => err instanceof IpcError && err.code === 'BAD_INPUT' && err.message === 'nope');
  });

  it('keeps the handlers, the dispatcher and the web server free of electron', async () => {
    const files = [
      ...(await readdir('src/main/services')).filter((f) => f.endsWith('.ts')).map((f) => `src/main/services/${f}`),
      ...(await readdir('src/shared')).filter((f) => f.endsWith('.ts')).map((f) => `src/shared/${f}`),
      'src/main/rpc.ts',
      'src/main/web-server.ts',
    ];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      assert.doesNotMatch(text, /(from\s+|require\(\s*|import\(\s*)['"]electron(\/[^'"]*)?['"]/, `${file} imports electron`);
    }
  });
});
