export * from "./auth";
export * from "./audit";
export * from "./engine";
export * from "./runs";
export * from "./governance";
export * from "./governance-ops";
