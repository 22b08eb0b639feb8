#!/usr/bin/env node
// `npx wflo`: loads the TypeScript CLI through tsx (a dependency of this repo), no build step.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
