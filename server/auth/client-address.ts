import { Server as HttpServer, type IncomingMessage } from "node:http";
import { Server as HttpsServer } from "node:https";
import { BlockList, isIP } from "node:net";
import { env } from "@/server/env";

/**
 * The address a request came from, for the per-address sign-in limit. `X-Forwarded-For` is
 * trusted only from the proxies listed in WFLO_TRUSTED_PROXIES (IPs or CIDRs, comma-separated;
 * default none): anyone else could rotate it to escape the limit, or set it to a victim's
 * address to lock the victim out.
 *
 * Why a hook on the HTTP server: Next's route handlers never see the socket, and `next start`
 * fills `x-forwarded-for` with the socket address only when the client sent none
 * (next/dist/server/base-server.js, `??=`), so by the time a route runs, a forged header and a
 * real one look the same. The hook runs on the raw Node request before Next does, derives the
 * address from the socket (and from the hops trusted proxies appended), and writes it into
 * CLIENT_ADDRESS_HEADER, overwriting whatever the client sent under that name.
 */
export const CLIENT_ADDRESS_HEADER = "x-wflo-client-address";

/** What a request that did not pass the hook is counted as: one shared bucket, never a client-chosen value. */
export const UNVERIFIED_ADDRESS = "unverified";

/** "::ffff:10.0.0.1" -> "10.0.0.1"; "fe80::1%eth0" -> "fe80::1"; anything else as it is. */
function normalise(address: string): string {
  const bare = address.trim().replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return mapped ? mapped[1]! : bare;
}

let cached: { spec: string; list: BlockList } | undefined;

/** The trusted proxies as a BlockList; throws naming the variable and the entry when one is not an IP or CIDR. */
export function trustedProxies(spec = env.WFLO_TRUSTED_PROXIES): BlockList {
  if (cached?.spec === spec) return cached.list;
  const list = new BlockList();
  for (const entry of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [addr = "", prefix] = entry.split("/");
    const ip = normalise(addr);
    const family = isIP(ip);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const max = family === 4 ? 32 : 128;
    if (!family || (bits !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= max))) {
      throw new Error(
        `WFLO_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.1, 10.0.0.0/8, fd00::/8)`,
      );
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, bits, type);
  }
  cached = { spec, list };
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? "ipv4" : "ipv6");
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy; then the
 * rightmost X-Forwarded-For hop that is not itself a trusted proxy (each proxy appends the
 * address it saw, so everything left of the last untrusted hop may be forged).
 */
export function deriveClientAddress(
  peer: string | undefined,
  xff: string | string[] | undefined,
  trusted: BlockList,
): string {
  let address = normalise(peer ?? "");
  if (!address) return UNVERIFIED_ADDRESS;
  const hops = (Array.isArray(xff) ? xff.join(",") : (xff ?? "")).split(",").map(normalise).filter(Boolean);
  while (isTrusted(trusted, address)) {
    const next = hops.pop();
    // A hop that is not an address was not written by a proxy we trust: keep the last one we know.
    if (next === undefined || !isIP(next)) break;
    address = next;
  }
  return address;
}

/** Writes the derived address into the request, replacing anything the client sent under those names. */
export function applyClientAddress(req: IncomingMessage): void {
  const address = deriveClientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trustedProxies());
  req.headers[CLIENT_ADDRESS_HEADER] = address;
  // Nothing downstream should read the client's list: it now holds the one address we vouch for.
  req.headers["x-forwarded-for"] = address;
}

const HOOKED = Symbol.for("wflo.clientAddressHook");

/**
 * Runs applyClientAddress on every request of every HTTP(S) server in this process, before its
 * own listeners (Next's) see it. Called once at boot; validates WFLO_TRUSTED_PROXIES then.
 */
export function installClientAddressHook(): void {
  trustedProxies();
  for (const proto of [HttpServer.prototype, HttpsServer.prototype] as Array<HttpServer & { [HOOKED]?: true }>) {
    if (proto[HOOKED]) continue;
    const emit = proto.emit;
    proto.emit = function (this: HttpServer, event: string | symbol, ...args: unknown[]) {
      if (event === "request") applyClientAddress(args[0] as IncomingMessage);
      return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
    } as typeof proto.emit;
    proto[HOOKED] = true;
  }
}

/** For route code: the address the hook derived, or the shared "unverified" bucket when it did not run. */
export function clientAddressFrom(headers: Record<string, unknown> | undefined): string {
  const value = headers?.[CLIENT_ADDRESS_HEADER];
  return typeof value === "string" && value ? value : UNVERIFIED_ADDRESS;
}
