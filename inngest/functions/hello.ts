import { z } from "zod";
import { defineWorkflow } from "./define";

export const hello = defineWorkflow(
  {
    id: "hello",
    name: "Hello",
    description: "One step that greets someone. The smallest possible workflow: a good first run.",
    event: "demo/hello.requested",
    input: z.object({
      name: z
        .string()
        .trim()
        .min(1, "name must not be empty")
        .max(100, "name must be at most 100 characters")
        .default("world")
        .describe("Who to greet"),
    }),
  },
  async ({ input, step }) => {
    const greeting = await step.run("greet", () => ({
      message: `Hello, ${input.name}!`,
      at: new Date().toISOString(),
    }));
    return greeting;
  },
);
