export declare const selfEntries: { cli: string; child: string };
/** The built module for one of raftlab's entry points (rebuilt when a source changed); its absolute path. */
export declare function ensureBuilt(name: keyof typeof selfEntries): Promise<string>;
