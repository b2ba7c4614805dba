import assert from 'node:assert/strict';
import path from 'node:path';
import { externalAllowed, resolveAppFile } from '../../src/main/app-protocol.ts';

describe('desktop shell: the app:// origin and outside links', () => {
  const root = path.resolve('/opt/raftlab/out/renderer');

  it('serves only files of the renderer folder on app://raftlab/', () => {
    assert.equal(resolveAppFile(root, 'app://raftlab/'), path.join(root, 'index.html'));
    assert.equal(resolveAppFile(root, 'app://raftlab/index.html'), path.join(root, 'index.html'));
    assert.equal(resolveAppFile(root, 'app://raftlab/assets/index-1a2b.js?x=1#y'), path.join(root, 'assets', 'index-1a2b.js'));
    for (const url of [
      'app://raftlab/../../etc/passwd',
      'app://raftlab/%2e%2e/%2e%2e/etc/passwd',
      'app://raftlab/..%2f..%2fetc%2fpasswd',
      'app://raftlab/%00',
      'app://raftlab/%E0%A4%A',
      'app://other/index.html',
      'file:///opt/raftlab/out/renderer/index.html',
      'not a url',
    ]) {
      const file = resolveAppFile(root, url);
      assert.ok(file === undefined || file.startsWith(root + path.sep), `${url} -> ${file}`);
    }
    assert.equal(resolveAppFile(root, 'app://other/index.html'), undefined);
    assert.equal(resolveAppFile(root, 'app://raftlab/%00'), undefined);
  });

  it('opens outside links only over https, to the sites on its list, without credentials', () => {
    assert.equal(externalAllowed('https://pdos.csail.mit.edu/6.824/labs/lab-raft.html'), true);
    assert.equal(externalAllowed('https://raft.github.io/raft.pdf'), true);
    for (const url of ['http://pdos.csail.mit.edu/', 'https://evil.example/', 'https://pdos.csail.mit.edu.evil.example/', 'https://user:pw@github.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'x']) {
      assert.equal(externalAllowed(url), false, url);
    }
  });
});
