#!/usr/bin/env node
// raftlab runs precompiled: the CLI is built from its TypeScript sources into node_modules/.cache on first use and
// rebuilt when a source changes, and run from V8's code cache (src/build/self-build.mjs). Students' folders are built
// separately, per run batch.
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { ensureBuilt } from '../src/build/self-build.mjs';

// The CLI lives for one batch, mostly waiting: V8's memory reducer, which collects a small idle heap again to give
// memory back, only costs it CPU: over a real-clock 2A, the CLI's own CPU is 223 ms without it, 260 with it.
setFlagsFromString('--no-memory-reducer-for-small-heaps');

await import(pathToFileURL(await ensureBuilt('cli')).href);
