/** Types for scripts/build.mjs (the start-up build), for the tests and the bench. */
export interface BuildOptions {
  /** The project's root; default: this checkout. */
  root?: string;
  /** Where builds are kept; default: node_modules/.cache/beian-assistant. */
  cacheDir?: string;
}
export declare const ROOT: string;
export declare const DEFAULT_CACHE_DIR: string;
/** The cached build's entry when it was built from exactly the files as they are now; else undefined. */
export declare function currentBuild(opts?: BuildOptions): string | undefined;
/** Builds into the cache and makes the build current; returns its entry. */
export declare function build(opts?: BuildOptions): Promise<string>;
/** The current build, or a new one. */
export declare function ensureBuild(opts?: BuildOptions): Promise<string>;
