import { afterEach, describe, expect, it } from "vitest";
import { prepareDatabase } from "./connect";

const saved = process.env.DATABASE_URL;
afterEach(() => {
  if (saved === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = saved;
});

describe("DATABASE_URL", () => {
  it("stops start-up with a message naming the variable and the host when unreachable", async () => {
    process.env.DATABASE_URL = "postgres://wflo:secret@127.0.0.1:1/wflo";
    await expect(prepareDatabase()).rejects.toThrow(/DATABASE_URL \(host 127\.0\.0\.1:1\)/);
  });

  it("rejects a malformed URL by name", async () => {
    process.env.DATABASE_URL = "not a url";
    await expect(prepareDatabase()).rejects.toThrow(/DATABASE_URL is not a valid postgres:\/\/ URL/);
  });
});
