export * from './labrpc.ts';
export * from './events.ts';
