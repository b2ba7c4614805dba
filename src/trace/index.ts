export * from './events.ts';
export * from './recorder.ts';
export * from './file.ts';
export * from './describe.ts';
