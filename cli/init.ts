import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, EXIT } from "./errors";
import { PROJECT_CONFIG } from "./config";

/**
 * `wflo init`: scaffolds wflo into an existing project (the current directory): a workflow file
 * using the SDK (wflo/sdk: WfloWorkflow, checkpoint, trackLlmCall, shutdown), wflo.config.json (the server URL and the name of the key's variable, safe to
 * commit) and .env.example (the variables to set; the key itself never goes in a committed file).
 */
export type InitOptions = { cwd: string; name: string; url: string; dir: string; force: boolean; json: boolean };

const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

const camel = (id: string) => id.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const title = (id: string) => id.replace(/-/g, " ").replace(/^./, (c) => c.toUpperCase());

export function workflowTemplate(id: string, file: string): string {
  const fn = camel(id);
  return `import { pathToFileURL } from "node:url";
import OpenAI from "openai";
import { WfloWorkflow, checkpoint, shutdown, trackLlmCall } from "wflo/sdk";

/**
 * ${title(id)}: a wflo workflow. While the control panel runs (npm start in your wflo checkout),
 * with .env filled in from .env.example:
 *   node --env-file=.env --import tsx ${file} "durable agents"
 * The run executes durably on wflo's engine: every LLM call is priced and must fit the run's
 * budget before it is made, each checkpoint is saved, and a crashed run resumes from them. Then:
 *   npx wflo runs list      npx wflo runs trace <run-id>      npx wflo runs replay <run-id>
 */
const openai = new OpenAI(); // OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server)
const MODEL = "gpt-4o-mini";

/** One governed LLM call: a durable step, refused before it is made if the budget cannot afford it. */
const ask = trackLlmCall({ model: MODEL, maxOutputTokens: 400 }, (prompt: string) =>
  openai.chat.completions.create({ model: MODEL, max_tokens: 400, messages: [{ role: "user", content: prompt }] }),
);

const outline = checkpoint("outline", async (topic: string) => {
  const r = await ask(\`Outline three key points about \${topic}, one line each.\`);
  return { topic, points: r.choices[0]?.message.content ?? "" };
});

const summary = checkpoint("summary", async (o: { topic: string; points: string }) => {
  const r = await ask(\`Write a short summary of \${o.topic} from these points:\\n\${o.points}\`);
  return { topic: o.topic, summary: r.choices[0]?.message.content ?? "" };
});

export async function ${fn}(inputs: { topic: string }) {
  return summary(await outline(inputs.topic));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const workflow = new WfloWorkflow({ name: "${id}", budgetUsd: 0.5 });
  try {
    const result = await workflow.execute(${fn}, { topic: process.argv[2] ?? "durable agents" });
    const cost = await workflow.getCostBreakdown();
    console.log(result);
    console.log(\`run \${workflow.executionId}: $\${cost.totalUsd.toFixed(6)} in \${cost.calls} LLM call(s)\`);
  } finally {
    await shutdown(); // closes the database connection and the SDK's server, so the script exits
  }
}
`;
}

export function projectConfig(url: string): string {
  return `${JSON.stringify({ url, apiKeyEnv: "WFLO_API_KEY" }, null, 2)}\n`;
}

/** The wflo checkout this CLI runs from (through node_modules/wflo, the symlink's real path). */
const checkout = () => path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function envExample(url: string, dataDir = path.join(checkout(), ".wflo")): string {
  return `# wflo: copy to .env (not committed) and fill in the key.
# The control panel the wflo CLI and WfloClient talk to.
WFLO_URL=${url}
# An API key from the panel's Settings -> API keys (operator role to run workflows).
WFLO_API_KEY=wflo_replace_me
# wflo/sdk scripts record their runs in the panel's database: its .wflo folder (embedded PostgreSQL, the default) ...
WFLO_DATA_DIR=${dataDir}
# ... or, when the panel runs with DATABASE_URL, the same URL instead (and remove WFLO_DATA_DIR).
# DATABASE_URL=postgres://user:password@host:5432/wflo
# ... and then the panel's engine signing key too (the line in its .wflo/engine-signing-key, or its WFLO_ENGINE_SIGNING_KEY).
# WFLO_ENGINE_SIGNING_KEY=signkey-prod-...
# The panel's engine port (npm start's default 8288), where wflo/sdk scripts start their runs.
WFLO_ENGINE_PORT=8288
# The key for the scaffolded workflow's LLM calls (or OPENAI_BASE_URL for an OpenAI-compatible server).
OPENAI_API_KEY=sk-replace-me
`;
}

/** What to do after `wflo init`, printed by the CLI: exact commands, from the project folder. */
export function nextSteps(workflowFile: string): string {
  return `${[
    `next:`,
    `  npm install ${checkout()} openai && npm install -D tsx   (or npm link in the wflo checkout, then npm link wflo here)`,
    `  cp .env.example .env   and set WFLO_API_KEY, OPENAI_API_KEY`,
    `  with the control panel running (npm start in the wflo checkout):`,
    `  node --env-file=.env --import tsx ${workflowFile} "durable agents"`,
    `  npx wflo runs list`,
  ].join("\n")}\n`;
}

/** `.ts` in an ESM package; `.mts` otherwise, so the scaffold's top-level await and import.meta work in any project. */
function workflowExtension(cwd: string): ".ts" | ".mts" {
  try {
    return (JSON.parse(readFileSync(path.join(cwd, "package.json"), "utf8")) as { type?: unknown }).type === "module"
      ? ".ts"
      : ".mts";
  } catch {
    return ".mts"; // unreadable package.json: the extension that works either way
  }
}

export function init(o: InitOptions): { created: string[] } {
  if (!ID.test(o.name))
    throw new CliError(
      EXIT.usage,
      `--name must be a workflow id in kebab-case, like my-workflow (got ${o.name}) (see wflo help)`,
    );
  if (!/^https?:\/\/[^\s]+$/.test(o.url))
    throw new CliError(EXIT.usage, `--url must start with http:// or https:// (got ${o.url}) (see wflo help)`);
  if (path.isAbsolute(o.dir) || o.dir.split(/[\\/]/).includes(".."))
    throw new CliError(
      EXIT.usage,
      `--dir must be a folder inside the project, like workflows (got ${o.dir}) (see wflo help)`,
    );
  if (!existsSync(path.join(o.cwd, "package.json"))) {
    throw new CliError(
      EXIT.usage,
      `wflo init sets up an existing project: run it in the folder that holds your package.json (none in ${o.cwd})`,
    );
  }
  const workflowFile = path.join(o.dir, `${o.name}${workflowExtension(o.cwd)}`);
  const files: [rel: string, text: string][] = [
    [workflowFile, workflowTemplate(o.name, workflowFile.replace(/\\/g, "/"))],
    [PROJECT_CONFIG, projectConfig(o.url)],
    [".env.example", envExample(o.url)],
  ];
  // All or nothing: one existing file stops the whole scaffold before anything is written.
  const existing = files.map(([rel]) => rel).filter((rel) => existsSync(path.join(o.cwd, rel)));
  if (existing.length && !o.force)
    throw new CliError(
      EXIT.usage,
      `${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}; wflo init overwrites nothing unless you pass --force`,
    );
  for (const [rel, text] of files) {
    mkdirSync(path.dirname(path.join(o.cwd, rel)), { recursive: true });
    writeFileSync(path.join(o.cwd, rel), text);
  }
  return { created: files.map(([rel]) => rel) };
}
