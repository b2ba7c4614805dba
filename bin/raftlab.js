#!/usr/bin/env node
// The CLI runs from TypeScript sources through tsx, so student implementations load with no build step too.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
