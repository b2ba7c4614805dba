'use strict';
// Where raftlab's build of itself lives, and whether it is fresh: CommonJS, so that bin/raftlab.js (CommonJS too) can
// start a fresh build without Node's ES module loader, which cost each CLI start ~12–17 ms of CPU (docs/design.md).
// src/build/self-build.mjs builds; this file only reads.
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, statSync } = require('node:fs');
const path = require('node:path');

/**
 * One folder per raftlab checkout: two checkouts may share a node_modules (a symlink), never a build.
 * @param {string} root raftlab's folder
 * @returns {string}
 */
function buildFolder(root) {
  return path.join(root, 'node_modules', '.cache', 'raftlab', 'self', createHash('sha256').update(root).digest('hex').slice(0, 12));
}

/**
 * @typedef {{ inputs: Array<[string, number, number]>, esbuild: string, output: string }} Manifest
 * @param {string} file
 * @returns {Manifest | undefined}
 */
function readManifest(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Whether every input of a build is as it was when built (size and modification time), and its loader is there.
 * @param {string} root
 * @param {string} folder the build folder (buildFolder(root))
 * @param {Manifest | undefined} manifest
 * @returns {manifest is Manifest}
 */
function isFresh(root, folder, manifest) {
  if (!manifest || !existsSync(path.join(folder, manifest.output))) return false; // the loader, written after the bundle
  // Joined by hand: in a process just started, path.join took more CPU than the ~240 stat calls (2.4 against 1.8 ms).
  const rootSlash = `${root}/`;
  try {
    for (const [file, size, mtimeMs] of manifest.inputs) {
      const st = statSync(rootSlash + file, { throwIfNoEntry: false });
      if (st === undefined || st.size !== size || st.mtimeMs !== mtimeMs) return false;
    }
  } catch {
    return false; // a file this process may not read: built again, which says why if it cannot
  }
  return true;
}

/**
 * The manifest of an entry point's build: its path.
 * @param {string} folder the build folder (buildFolder(root))
 * @param {string} name
 */
function manifestFile(folder, name) {
  return path.join(folder, `${name}.manifest.json`);
}

/**
 * The loader of an entry point's build when it is fresh (its absolute path), else undefined.
 * @param {string} root
 * @param {string} name
 * @param {string} folder the build folder, when the caller has it
 * @returns {string | undefined}
 */
function freshBuild(root, name, folder = buildFolder(root)) {
  const manifest = readManifest(manifestFile(folder, name));
  return isFresh(root, folder, manifest) ? path.join(folder, manifest.output) : undefined;
}

module.exports = { buildFolder, manifestFile, freshBuild };
