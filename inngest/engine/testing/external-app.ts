/**
 * A separate Inngest SDK app, as a user would write one: configured only by the environment
 * (INNGEST_BASE_URL=<engine url>, INNGEST_SIGNING_KEY=<the engine's key>, INNGEST_EVENT_KEY=<an
 * event key an admin created>), served on its own port by the SDK's Node adapter. Its functions
 * send events too (step.sendEvent), with that key. Used by external-app.test.ts to show any
 * Inngest app can run on the embedded engine.
 */
import { createServer } from "node:http";
import { Inngest } from "inngest";
import { serve } from "inngest/node";

const inngest = new Inngest({ id: "external-shop" });

const fulfil = inngest.createFunction(
  { id: "fulfil-order", triggers: [{ event: "shop/order.placed" }] },
  async ({ event, step }) => {
    const reserved = await step.run("reserve-stock", () => ({
      sku: String(event.data.sku),
      qty: Number(event.data.qty),
    }));
    await step.sleep("settle", "1s");
    const total = await step.run("charge", () => reserved.qty * 250);
    // Sent by the SDK to the engine's intake with INNGEST_EVENT_KEY, as any Inngest app sends.
    await step.sendEvent("announce", { name: "shop/order.fulfilled", data: { orderId: event.data.orderId } });
    return { orderId: event.data.orderId, charged: total };
  },
);

const notify = inngest.createFunction(
  { id: "notify-customer", triggers: [{ event: "shop/order.fulfilled" }] },
  async ({ event }) => ({ notified: event.data.orderId }),
);

const server = createServer(serve({ client: inngest, functions: [fulfil, notify] }));
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`READY http://127.0.0.1:${port}/api/inngest\n`);
});
