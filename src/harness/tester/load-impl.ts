// The implementation loader lives in src/harness/loader; the tester re-exports what its callers use.
export { ImplLoadError, loadImplementation, type ImplLoadErrorCode, type LoadedImpl } from '../loader/index.ts';
export { referenceImplDir } from '../paths.ts';
