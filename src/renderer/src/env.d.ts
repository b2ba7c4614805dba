/// <reference types="vite/client" />
import type { RaftlabBridge } from '../../shared/ipc.ts';

declare global {
  interface Window {
    /** Put there by the preload in the Electron shell; absent in a plain browser (web mode). */
    readonly raftlab?: RaftlabBridge;
  }
}

export {};
