// Worker threads do not inherit the parent's in-process tsx registration: register it here, then load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
