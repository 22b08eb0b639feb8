import { describe, expect, it } from "vitest";
import { engineWanted } from "./from-env";

describe("engineWanted", () => {
  it("is on by default and when the SDK points at the engine itself", () => {
    expect(engineWanted({}, 8288)).toBe(true);
    expect(engineWanted({ INNGEST_DEV: "1" }, 8288)).toBe(true);
    expect(engineWanted({ INNGEST_DEV: "http://127.0.0.1:8288" }, 8288)).toBe(true);
    expect(engineWanted({ INNGEST_BASE_URL: "http://localhost:8288" }, 8288)).toBe(true);
  });
  it("stays off when a real Inngest server is configured, or when told", () => {
    expect(engineWanted({ INNGEST_BASE_URL: "https://inngest.example.com" }, 8288)).toBe(false);
    expect(engineWanted({ INNGEST_DEV: "http://127.0.0.1:9999" }, 8288)).toBe(false);
    expect(engineWanted({ WFLO_ENGINE: "off" }, 8288)).toBe(false);
    expect(engineWanted({ WFLO_ENGINE: "on", INNGEST_BASE_URL: "https://x.example" }, 8288)).toBe(true);
  });
});
