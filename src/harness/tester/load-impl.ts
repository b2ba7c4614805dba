// The implementation loader lives in src/harness/loader; the tester re-exports what its callers use (from the
// modules themselves, not the loader's index: a run process must not load the snapshot schema's zod).
export { ImplLoadError, type ImplLoadErrorCode } from '../loader/build.ts';
export { loadImplementation, type LoadedImpl } from '../loader/load.ts';
export { referenceImplDir } from '../paths.ts';
