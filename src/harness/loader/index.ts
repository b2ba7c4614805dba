export * from './build.ts';
export * from './load.ts';
export * from './snapshot.ts';
export * from './project.ts';
export * from './site.ts';
export * from './bug-patch.ts';
export * from './snapshot-schema.ts';
