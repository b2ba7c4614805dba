#!/usr/bin/env node
// raftlab runs precompiled: the CLI is built from its TypeScript sources into node_modules/.cache on first use and
// rebuilt when a source changes (src/build/self-build.mjs). Students' folders are built separately, per run batch.
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from '../src/build/self-build.mjs';

await import(pathToFileURL(await ensureBuilt('cli')).href);
