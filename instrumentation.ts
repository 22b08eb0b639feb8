export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // First: from here on every request's client address comes from the socket (or a trusted proxy), not from what the client claims.
    const { installClientAddressHook } = await import("./server/auth/client-address");
    installClientAddressHook();
    const { boot } = await import("./server/boot");
    await boot();
  }
}
