#!/usr/bin/env node
'use strict';
// raftlab runs precompiled: the CLI is built from its TypeScript sources into node_modules/.cache on first use and
// rebuilt when a source changes, and run from V8's code cache (src/build/self-build.mjs). Students' folders are built
// separately, per run batch. CommonJS (bin/package.json), like the build it starts: a start that finds its build
// fresh never loads Node's ES module loader (~12–17 ms of CPU a start).
const path = require('node:path');
const { setFlagsFromString } = require('node:v8');
const { freshBuild } = require('../src/build/self-fresh.cjs');

// The CLI lives for one batch, mostly waiting: V8's memory reducer, which collects a small idle heap again to give
// memory back, only costs it CPU: over a real-clock 2A, the CLI's own CPU is 223 ms without it, 260 with it.
setFlagsFromString('--no-memory-reducer-for-small-heaps');

const built = freshBuild(path.join(__dirname, '..'), 'cli');
if (built !== undefined) require(built);
else {
  // A rejection nobody handles ends the process with its stack, as the build's own errors should.
  void import('../src/build/self-build.mjs').then(async ({ ensureBuilt }) => require(await ensureBuilt('cli')));
}
