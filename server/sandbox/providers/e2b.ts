import { SandboxUnavailableError, type SandboxProvider } from "../types";

export const e2bProvider: SandboxProvider = {
  name: "e2b",
  isolation: "pending",
  languages: ["python", "node", "bash"],
  async ensureAvailable() {
    throw new SandboxUnavailableError("e2b", "not built yet");
  },
  async run() {
    throw new SandboxUnavailableError("e2b", "not built yet");
  },
};
