import { afterEach, describe, expect, it } from "vitest";
import { embeddedEngineUrl, inngestApiBaseUrl, inngestMode } from "./connection";

const VARS = [
  "INNGEST_BASE_URL",
  "INNGEST_API_BASE_URL",
  "INNGEST_EVENT_API_BASE_URL",
  "INNGEST_DEV",
  "INNGEST_SIGNING_KEY",
  "INNGEST_EVENT_KEY",
  "WFLO_ENGINE_PORT",
];
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
function env(values: Record<string, string>) {
  for (const v of VARS) delete process.env[v];
  Object.assign(process.env, values);
}
afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
});

describe("which Inngest server wflo talks to", () => {
  it("uses the embedded engine when nothing is configured", () => {
    env({});
    expect(inngestMode()).toBe("embedded");
    expect(embeddedEngineUrl()).toBe("http://127.0.0.1:8288");
    env({ WFLO_ENGINE_PORT: "8301" });
    expect(inngestApiBaseUrl()).toBe("http://127.0.0.1:8301");
  });

  it("recognises a dev server, by flag or by URL", () => {
    env({ INNGEST_DEV: "1" });
    expect(inngestMode()).toBe("dev-server");
    expect(inngestApiBaseUrl()).toBe("http://localhost:8288");
    env({ INNGEST_DEV: "http://10.0.0.5:8288/" });
    expect(inngestMode()).toBe("dev-server");
    expect(inngestApiBaseUrl()).toBe("http://10.0.0.5:8288");
  });

  it("treats keys, a base URL or INNGEST_DEV=0 as Inngest Cloud or a self-hosted server", () => {
    env({ INNGEST_SIGNING_KEY: "signkey-prod-abc", INNGEST_EVENT_KEY: "k" });
    expect(inngestMode()).toBe("cloud/self-hosted");
    expect(inngestApiBaseUrl()).toBe("https://api.inngest.com");
    env({ INNGEST_BASE_URL: "https://inngest.internal.example/" });
    expect(inngestMode()).toBe("cloud/self-hosted");
    expect(inngestApiBaseUrl()).toBe("https://inngest.internal.example");
    env({ INNGEST_DEV: "0", INNGEST_SIGNING_KEY: "signkey-prod-abc" });
    expect(inngestMode()).toBe("cloud/self-hosted");
  });
});
