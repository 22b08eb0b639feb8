/**
 * A separate Inngest SDK app, as a user would write one: configured only by the environment
 * (INNGEST_BASE_URL=<engine url>, INNGEST_SIGNING_KEY=<the engine's key>, INNGEST_EVENT_KEY), served on its own port by the SDK's Node adapter. Used by
 * external-app.test.ts to show any Inngest app can run on the embedded engine.
 */
import { createServer } from "node:http";
import { Inngest } from "inngest";
import { serve } from "inngest/node";

const inngest = new Inngest({ id: "external-shop" });

const fulfil = inngest.createFunction(
  { id: "fulfil-order", triggers: [{ event: "shop/order.placed" }] },
  async ({ event, step }) => {
    const reserved = await step.run("reserve-stock", () => ({ sku: String(event.data.sku), qty: Number(event.data.qty) }));
    await step.sleep("settle", "1s");
    const total = await step.run("charge", () => reserved.qty * 250);
    return { orderId: event.data.orderId, charged: total };
  },
);

const server = createServer(serve({ client: inngest, functions: [fulfil] }));
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`READY http://127.0.0.1:${port}/api/inngest\n`);
});
