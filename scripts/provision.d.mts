// Types for scripts/provision.mjs (plain JavaScript so `npm test` runs it with node alone).
export type Requirement = {
  name: string;
  why: string;
  /** The binary whose presence means the requirement is met. */
  path: string;
  /** Debian packages that bring it. */
  packages: string[];
  /** An environment variable that can point at another copy instead. */
  pathVariable?: string;
};
export type Checks = { isExecutable(path: string): boolean; isRoot(): boolean; hasAptGet(): boolean };
export type Plan = { action: "none" } | { action: "install" | "stop"; command: string; message: string };
export const REQUIREMENTS: Requirement[];
export function aptCommand(packages: string[]): string;
export function planProvisioning(requirements: Requirement[], checks: Checks): Plan;
export const machineChecks: Checks;
export function provision(
  requirements?: Requirement[],
  checks?: Checks,
  log?: (m: string) => void,
  error?: (m: string) => void,
): boolean;
