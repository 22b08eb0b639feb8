import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { signInFailures, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import {
  deriveClientAddress,
  installClientAddressHook,
  trustedProxies,
  UNVERIFIED_ADDRESS,
  clientAddressFrom,
} from "./client-address";
import { SIGN_IN_ERRORS } from "./options";
import { hashPassword } from "./password";
import { SIGN_IN_LIMITS } from "./rate-limit";
import { Browser, startAuthServer, type AuthServer } from "./testing/auth-server";

/**
 * Finding 7: X-Forwarded-For is trusted only from WFLO_TRUSTED_PROXIES. Real sign-ins over real
 * sockets from distinct loopback addresses; the server does to each request what `next start`
 * does, and what wflo installs at boot (applyClientAddress).
 */
let fresh: FreshDb;
let server: AuthServer;
const VICTIM = { email: "victim@example.com", password: "victim's long password" };

beforeAll(async () => {
  fresh = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  await fresh.db
    .insert(users)
    .values({ email: VICTIM.email, name: "Victim", role: "viewer", passwordHash: await hashPassword(VICTIM.password) });
  // What instrumentation.ts installs at boot, before any HTTP server sees a request.
  installClientAddressHook();
  server = await startAuthServer();
});
afterAll(async () => {
  await server?.close();
  delete process.env.WFLO_TRUSTED_PROXIES;
  await fresh.drop();
});
beforeEach(async () => {
  delete process.env.WFLO_TRUSTED_PROXIES;
  await fresh.db.delete(signInFailures);
});

const LOCKED = SIGN_IN_ERRORS.locked;

describe("the per-address sign-in limit", () => {
  it("cannot be bypassed by rotating X-Forwarded-For", async () => {
    const attacker = new Browser(server.url, "127.0.0.2");
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress; i++) {
      // A new account each time, so only the per-address limit can stop the spray.
      expect(
        await attacker.signIn(`spray${i}@example.com`, "wrong password 123", { "x-forwarded-for": `203.0.113.${i}` }),
      ).toBe(SIGN_IN_ERRORS.invalid);
    }
    expect(
      await attacker.signIn("spray-next@example.com", "wrong password 123", { "x-forwarded-for": "203.0.113.250" }),
    ).toBe(LOCKED);
  });

  it("cannot be pointed at a victim's address to lock the victim out", async () => {
    const attacker = new Browser(server.url, "127.0.0.3");
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress; i++) {
      await attacker.signIn(`frame${i}@example.com`, "wrong password 123", {
        "x-forwarded-for": "127.0.0.4",
        "x-wflo-client-address": "127.0.0.4",
      });
    }
    const victim = new Browser(server.url, "127.0.0.4");
    expect(await victim.signIn(VICTIM.email, VICTIM.password)).toBeNull();
    expect(await victim.session()).toMatchObject({ email: VICTIM.email });
  });

  it("uses the hop a trusted proxy appended, and only from that proxy", async () => {
    process.env.WFLO_TRUSTED_PROXIES = "127.0.0.5, 10.0.0.0/8";
    const proxy = new Browser(server.url, "127.0.0.5");
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress; i++) {
      // The client forged a leftmost entry; the proxy appended the address it saw (after a second, trusted hop).
      await proxy.signIn(`p${i}@example.com`, "wrong password 123", {
        "x-forwarded-for": `192.0.2.${i}, 198.51.100.9, 10.1.2.3`,
      });
    }
    expect(await proxy.signIn("p-next@example.com", "wrong password 123", { "x-forwarded-for": "198.51.100.9" })).toBe(
      LOCKED,
    );
    expect(await proxy.signIn("p-next@example.com", "wrong password 123", { "x-forwarded-for": "198.51.100.10" })).toBe(
      SIGN_IN_ERRORS.invalid,
    );
    // The same header from an address that is not a trusted proxy counts against that address, not 198.51.100.9.
    const direct = new Browser(server.url, "127.0.0.6");
    expect(await direct.signIn("d@example.com", "wrong password 123", { "x-forwarded-for": "198.51.100.9" })).toBe(
      SIGN_IN_ERRORS.invalid,
    );
  });
});

describe("deriving the client address", () => {
  const none = trustedProxies("");
  const proxies = trustedProxies("10.0.0.0/8, 192.0.2.1, fd00::/8");

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    expect(deriveClientAddress("203.0.113.7", "127.0.0.1", none)).toBe("203.0.113.7");
    expect(deriveClientAddress("::ffff:203.0.113.7", "1.2.3.4", proxies)).toBe("203.0.113.7");
  });

  it("walks right to left past trusted hops (IPv4, IPv6, mapped), and stops at anything not an address", () => {
    expect(deriveClientAddress("10.0.0.2", "6.6.6.6, 198.51.100.1, 192.0.2.1", proxies)).toBe("198.51.100.1");
    expect(deriveClientAddress("fd00::1", ["2001:db8::5", "10.9.9.9"], proxies)).toBe("2001:db8::5");
    expect(deriveClientAddress("10.0.0.2", "garbage", proxies)).toBe("10.0.0.2");
    expect(deriveClientAddress("10.0.0.2", undefined, proxies)).toBe("10.0.0.2");
    expect(deriveClientAddress(undefined, "1.2.3.4", proxies)).toBe(UNVERIFIED_ADDRESS);
  });

  it("refuses a malformed WFLO_TRUSTED_PROXIES naming the variable and the entry", () => {
    expect(() => trustedProxies("10.0.0.1, proxy.internal")).toThrow(
      'WFLO_TRUSTED_PROXIES: "proxy.internal" is not an IP address or CIDR range',
    );
    expect(() => trustedProxies("10.0.0.0/33")).toThrow(/10\.0\.0\.0\/33/);
  });

  it("never takes a client-sent header for the derived one when the hook did not run", () => {
    expect(clientAddressFrom({ "x-forwarded-for": "1.2.3.4" })).toBe(UNVERIFIED_ADDRESS);
  });
});
