import { provideWorkflowCatalog } from "@/server/workflows/workflow-catalog";

// Every test process gets the app's own workflow catalog, as boot provides it in the panel.
// A loader, not an import: most test files never ask, and loading the workflows costs seconds.
provideWorkflowCatalog(() => import("@/inngest/catalog").then((m) => m.registryCatalog));
