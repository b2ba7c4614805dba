// The web server (src/main/web-server.ts): the API over HTTP, static files, and a busy port.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, TextBody } from '../../src/main/rpc.ts';
import { handlers } from '../../src/main/services/index.ts';
import { ListenError, startWebServer, type EventHub, type WebServer } from '../../src/main/web-server.ts';
import { createClient, httpTransport, type AppEvent } from '../../src/shared/ipc.ts';

/** A raw HTTP request, so that Host and Origin can be set (fetch does not allow that). */
function http(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; path?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: options.path ?? target.pathname,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const TOKEN = 'test-token-0123456789abcdef';
const auth = { 'x-raftlab-token': TOKEN };

/** A stand-in for the runner's events. */
function fakeHub(): EventHub & { emit(event: AppEvent): void; listeners: number } {
  const listeners = new Set<(event: AppEvent) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    emit: (event) => listeners.forEach((l) => l(event)),
    get listeners() {
      return listeners.size;
    },
  };
}

describe('ui: web server', () => {
  let dir: string;
  let server: WebServer;
  const hub = fakeHub();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftlab-web-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>raftlab</title>');
    server = await startWebServer({ port: 0, rendererDir: dir, token: TOKEN, events: hub });
  });

  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 and serves the renderer with its security headers', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await http(server.url);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(String(res.headers['content-security-policy']), /default-src 'none'.*frame-ancestors 'none'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('answers POST /api/<channel> with the result envelope', async () => {
    const res = await http(`${server.url}api/app:info`, { method: 'POST', headers: auth });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body) as { ok: boolean; value: { shell: string } };
    assert.equal(body.ok, true);
    assert.equal(body.value.shell, 'web');
  });

  it('refuses what is not a well-formed call from its own page', async () => {
    const api = `${server.url}api/app:info`;
    const json = { ...auth, 'content-type': 'application/json' };
    const cases: [string, Parameters<typeof http>[1], number, RegExp][] = [
      ['unknown channel', { method: 'POST', path: '/api/app:nope', headers: auth }, 404, /Unknown channel .*app:nope/],
      ['GET on the API', { headers: auth }, 405, /Use POST/],
      ['not JSON', { method: 'POST', body: 'x=1', headers: { ...auth, 'content-type': 'text/plain' } }, 415, /application\/json/],
      ['broken JSON', { method: 'POST', body: '{', headers: json }, 400, /not valid JSON/],
      ['another site', { method: 'POST', headers: { ...auth, origin: 'http://evil.example' } }, 403, /evil\.example/],
      ['another host name', { method: 'POST', headers: { ...auth, host: 'evil.example' } }, 421, /answers only to/],
    ];
    for (const [what, options, status, message] of cases) {
      const res = await http(api, options);
      assert.equal(res.status, status, `${what}: ${res.body}`);
      assert.match(res.body, message, what);
    }
  });

  it('takes as large an argument as the channel says: an opened file is large, anything else at most 1 MiB', async () => {
    const seen: string[] = [];
    const big = await startWebServer({
      port: 0,
      rendererDir: dir,
      token: TOKEN,
      events: hub,
      dispatch: async (channel) => {
        seen.push(channel);
        return { ok: true, value: null };
      },
    });
    try {
      const body = JSON.stringify({ name: 'x.trace.gz', data: 'A'.repeat(3 << 20) });
      const post = (channel: string) => http(`${big.url}api/${channel}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
      assert.equal((await post('trace:open')).status, 200);
      const refused = await post('trace:index');
      assert.equal(refused.status, 413);
      assert.match(refused.body, /larger than 1048576 bytes/);
      assert.deepEqual(seen, ['trace:open']);
    } finally {
      await big.close();
    }
  });

  it('sends a text result as the body itself, not escaped into an envelope; the client reads it as the value', async () => {
    const text = '{"t":0,"kind":"a","say":"\\"quoted\\" – ünicode"}\n{"t":1,"kind":"b"}\n';
    const seen: Array<boolean | undefined> = [];
    const raw = await startWebServer({
      port: 0,
      rendererDir: dir,
      token: TOKEN,
      events: hub,
      dispatch: createDispatcher({ ...handlers, 'trace:page': (_input, ctx) => (seen.push(ctx.passText), new TextBody(Buffer.from(text, 'utf8'))) }),
    });
    try {
      const body = JSON.stringify({ file: '/x.trace.gz', page: 0 });
      const res = await http(`${raw.url}api/trace:page`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-raftlab-result'], 'text');
      assert.match(String(res.headers['content-type']), /^text\/plain; charset=utf-8/);
      assert.equal(res.body, text, 'the bytes as the handler gave them');
      assert.equal(await createClient(httpTransport(raw.url.slice(0, -1), TOKEN)).tracePage({ file: '/x.trace.gz', page: 0 }), text);
      assert.deepEqual(seen, [true, true]);
      // Any other caller of the dispatcher gets the string the contract promises.
      const direct = await createDispatcher({ ...handlers, 'trace:page': () => new TextBody(Buffer.from(text, 'utf8')) })('trace:page', { file: '/x.trace.gz', page: 0 }, { shell: 'electron' });
      assert.deepEqual(direct, { ok: true, value: text });
    } finally {
      await raw.close();
    }
  });

  it('answers the API only with the launch token (header or query), 401 otherwise', async () => {
    assert.match(server.appUrl, new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=${TOKEN}$`));
    const api = `${server.url}api/app:info`;
    const cases: [string, Parameters<typeof http>[1], number][] = [
      ['no token', { method: 'POST' }, 401],
      ['a wrong token', { method: 'POST', headers: { 'x-raftlab-token': 'x'.repeat(TOKEN.length) } }, 401],
      ['a shorter token', { method: 'POST', headers: { 'x-raftlab-token': TOKEN.slice(1) } }, 401],
      ['a wrong token in the query', { method: 'POST', path: '/api/app:info?token=nope' }, 401],
      ['no token for an unknown channel', { method: 'POST', path: '/api/app:nope' }, 401],
      ['no token for the events', { path: '/api/events' }, 401],
      ['the token in the header', { method: 'POST', headers: auth }, 200],
      ['the token in the query', { method: 'POST', path: `/api/app:info?token=${TOKEN}` }, 200],
    ];
    for (const [what, options, status] of cases) {
      const res = await http(api, options);
      assert.equal(res.status, status, `${what}: ${res.body}`);
      if (status === 401) assert.match(res.body, /"code":"UNAUTHORIZED".*token/, what);
    }
    // Static files need no token: the page itself brings it.
    assert.equal((await http(server.url)).status, 200);
    // Each launch draws its own.
    const other = await startWebServer({ port: 0, rendererDir: dir });
    try {
      assert.match(other.token, /^[A-Za-z0-9_-]{32}$/);
      assert.notEqual(other.token, TOKEN);
      assert.equal((await http(`${other.url}api/app:info`, { method: 'POST', headers: auth })).status, 401);
    } finally {
      await other.close();
    }
  });

  it('streams the app\'s events as server-sent events', async () => {
    const event: AppEvent = { type: 'run', batchId: 'b1', run: { test: 'TestX2A', seed: 1, status: 'pass', testMs: 1, wallMs: 1 }, done: 1, failed: 0, test: { id: 'TestX2A', total: 1, done: 1, failed: 0 } };
    const received = await new Promise<string>((resolveEvent, rejectEvent) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: `/api/events?token=${TOKEN}` }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^text\/event-stream/);
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.startsWith(': raftlab events') && hub.listeners === 1 && !text.includes('data:')) hub.emit(event);
          const m = /data: (.*)\n\n/.exec(text);
          if (m) {
            req.destroy();
            resolveEvent(m[1]!);
          }
        });
      });
      req.on('error', rejectEvent);
      req.end();
    });
    assert.deepEqual(JSON.parse(received), event);
    // The server sees the close when its socket does: wait for that (mocha's timeout bounds it), not for a fixed time.
    while (hub.listeners !== 0) await new Promise((r) => setImmediate(r));
    assert.equal(hub.listeners, 0, 'a closed stream unsubscribes');
  });

  it('serves nothing outside the renderer directory', async () => {
    const res = await http(server.url, { path: '/../../package.json' });
    assert.equal(res.status, 404);
    const encoded = await http(server.url, { path: '/%2e%2e/%2e%2e/package.json' });
    assert.equal(encoded.status, 404);
  });

  it('names the port and how to choose another when the port is busy', async () => {
    await assert.rejects(startWebServer({ port: server.port, rendererDir: dir }), (err: unknown) => {
      assert.ok(err instanceof ListenError, String(err));
      assert.equal(err.code, 'EADDRINUSE');
      assert.equal(err.port, server.port);
      assert.match(err.message, new RegExp(`Port ${server.port} on 127\\.0\\.0\\.1 is already in use`));
      assert.match(err.message, /--port <n>/);
      assert.match(err.message, /RAFTLAB_PORT=<n>/);
      return true;
    });
  });

  it('prints that message, without a stack trace, when run from the command line on a busy port', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/web-server.ts', '--port', String(server.port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1, `stdout: ${stdout}\nstderr: ${stderr}`);
    assert.equal(
      stderr.trim(),
      `raftlab: Port ${server.port} on 127.0.0.1 is already in use (by another raftlab, perhaps). ` +
        'Choose another port with --port <n> or RAFTLAB_PORT=<n> (0 picks any free port).',
    );
    assert.doesNotMatch(stderr, /\n\s+at /);
  });

  it('trades the token in the printed address for an HttpOnly cookie and sends the browser on without it', async () => {
    const res = await http(`${server.url}?token=${TOKEN}&view=history`, { path: `/?token=${TOKEN}&view=history` });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/?view=history');
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, new RegExp(`^raftlab-token=${TOKEN}; HttpOnly; SameSite=Strict; Path=/$`));
    // The cookie alone opens the API and the event stream.
    const withCookie = await http(`${server.url}api/app:info`, { method: 'POST', headers: { cookie: `other=1; raftlab-token=${TOKEN}` } });
    assert.equal(withCookie.status, 200);
    // A wrong token in the address gets no cookie.
    const wrong = await http(server.url, { path: '/?token=nope' });
    assert.equal(wrong.status, 303);
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.equal((await http(`${server.url}api/app:info`, { method: 'POST', headers: { cookie: 'raftlab-token=nope' } })).status, 401);
  });

  it('caps the event streams one server holds open', async () => {
    const { MAX_EVENT_STREAMS } = await import('../../src/main/web-server.ts');
    const open: Array<{ destroy: () => void }> = [];
    try {
      for (let i = 0; i < MAX_EVENT_STREAMS; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: server.port, path: `/api/events?token=${TOKEN}` }, (res) => {
            assert.equal(res.statusCode, 200);
            res.once('data', () => resolve());
          });
          req.on('error', reject);
          req.end();
          open.push(req);
        });
      }
      const refused = await http(`${server.url}api/events`, { path: `/api/events?token=${TOKEN}` });
      assert.equal(refused.status, 503);
      assert.match(refused.body, /event streams are open already/);
    } finally {
      for (const req of open) req.destroy();
    }
  });
});
