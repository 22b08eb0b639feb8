import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deriveEventKey, engineSigningKey, isValidSigningKey, SIGNING_KEY_FILE, SigningKeyError } from "./signing-key";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), "wflo-key-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A separate process resolving the key for `dataDir`, as a second `npm start` or a script would. */
function keyFromChild(dataDir: string): Promise<string> {
  const code = `import { engineSigningKey } from ${JSON.stringify(path.join(import.meta.dirname, "signing-key.ts"))}; process.stdout.write(engineSigningKey({ WFLO_DATA_DIR: ${JSON.stringify(dataDir)} }));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (c) => (c === 0 ? resolve(out) : reject(new Error(`child exited with ${c}`))));
  });
}

describe("engineSigningKey", () => {
  it("takes WFLO_ENGINE_SIGNING_KEY when set, and refuses one the SDK could not use, naming the variable", () => {
    const key = `signkey-prod-${"ab".repeat(32)}`;
    expect(engineSigningKey({ WFLO_ENGINE_SIGNING_KEY: key, WFLO_DATA_DIR: "/nonexistent" })).toBe(key);
    for (const bad of [
      "secret",
      `signkey-prod-${"zz".repeat(32)}`,
      "signkey-prod-abc",
      `signkey--${"ab".repeat(32)}`,
    ]) {
      expect(() => engineSigningKey({ WFLO_ENGINE_SIGNING_KEY: bad })).toThrow(SigningKeyError);
      expect(() => engineSigningKey({ WFLO_ENGINE_SIGNING_KEY: bad })).toThrow(
        /WFLO_ENGINE_SIGNING_KEY must look like signkey-<env>-<hex>/,
      );
    }
  });

  it("otherwise generates one key in the data dir (mode 0600) and keeps it", () => {
    const dir = tempDir();
    const key = engineSigningKey({ WFLO_DATA_DIR: dir });
    expect(key).toMatch(/^signkey-prod-[0-9a-f]{64}$/);
    expect(isValidSigningKey(key)).toBe(true);
    const file = path.join(dir, SIGNING_KEY_FILE);
    expect(readFileSync(file, "utf8").trim()).toBe(key);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(engineSigningKey({ WFLO_DATA_DIR: dir })).toBe(key);
    expect(engineSigningKey({ WFLO_DATA_DIR: tempDir() })).not.toBe(key);
  });

  it("a process that only talks to an engine reads the key and, with none, fails naming the file and the variables", () => {
    const dir = tempDir();
    expect(() => engineSigningKey({ WFLO_DATA_DIR: dir }, { create: false })).toThrow(
      /no engine signing key at .*engine-signing-key: .*WFLO_DATA_DIR.*WFLO_ENGINE_SIGNING_KEY/,
    );
    const key = engineSigningKey({ WFLO_DATA_DIR: dir });
    expect(engineSigningKey({ WFLO_DATA_DIR: dir }, { create: false })).toBe(key);
  });

  it("processes starting at once end up with one key", async () => {
    const dir = tempDir();
    const keys = await Promise.all([0, 1, 2, 3].map(() => keyFromChild(dir)));
    expect(new Set(keys).size).toBe(1);
    expect(readFileSync(path.join(dir, SIGNING_KEY_FILE), "utf8").trim()).toBe(keys[0]);
  });

  it("a damaged key file is an error that says what to do, not a silent new key", () => {
    const dir = tempDir();
    engineSigningKey({ WFLO_DATA_DIR: dir });
    writeFileSync(path.join(dir, SIGNING_KEY_FILE), "garbage\n");
    expect(() => engineSigningKey({ WFLO_DATA_DIR: dir })).toThrow(/does not hold a signing key .* delete it/);
  });
});

describe("deriveEventKey", () => {
  it("derives the app's event key from the signing key: the same for every process, different per signing key, and not the signing key", () => {
    const a = `signkey-prod-${"a1".repeat(32)}`;
    const b = `signkey-prod-${"b2".repeat(32)}`;
    expect(deriveEventKey(a)).toBe(deriveEventKey(a));
    expect(deriveEventKey(a)).toMatch(/^wflo-ek-internal-[0-9a-f]{64}$/);
    expect(deriveEventKey(a)).not.toBe(deriveEventKey(b));
    expect(deriveEventKey(a)).not.toContain("a1a1");
  });
});
