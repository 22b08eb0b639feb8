import { SandboxUnavailableError, type SandboxProvider } from "../types";

export const dockerProvider: SandboxProvider = {
  name: "docker",
  isolation: "pending",
  languages: ["python", "node", "bash"],
  async ensureAvailable() {
    throw new SandboxUnavailableError("docker", "not built yet");
  },
  async run() {
    throw new SandboxUnavailableError("docker", "not built yet");
  },
};
