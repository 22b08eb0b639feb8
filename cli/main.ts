import { parseArgs, type ParseArgsConfig } from "node:util";
import { Client } from "./client";
import { approvalsDecide, approvalsList, budgetsList, login, runsCancel, runsList, runsShow, runsTrace } from "./commands";
import { loadConfig } from "./config";
import { CliError, EXIT, usageError } from "./errors";
import { readInput } from "./input";
import { runWorkflow } from "./run";

const HELP = `wflo — the wflo control panel from the terminal (over its REST API)

usage:
  wflo run <workflow> [--input '<json>' | --input - ] [--budget 10.00] [--require-approval] [--detach] [--json]
  wflo runs list [--workflow <id>] [--status <status>] [--limit <n>] [--json]
  wflo runs show <run-id> [--json]
  wflo runs trace <run-id> [--json]
  wflo runs cancel <run-id>
  wflo approvals list [--all] [--run <run-id>] [--json]
  wflo approvals approve <approval-id> [--comment <text>]
  wflo approvals reject <approval-id> [--comment <text>]
  wflo budgets list [--json]
  wflo login --url <url> --key <api-key>     saves them to ~/.wflo/config.json

config: WFLO_URL and WFLO_API_KEY (they win over ~/.wflo/config.json).
input: --input '<json>', --input - (stdin), or JSON piped to stdin.
exit codes: 0 ok, 1 run failed, 2 bad usage or config, 3 cannot reach the server or not authorised,
            4 validation failed (bad input, unknown workflow or id), 5 budget exceeded, 130 interrupted.
`;

const common = { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } } as const;

function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError((e as Error).message.split("\n")[0] ?? "bad arguments");
  }
}

const client = () => new Client(loadConfig());

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(HELP);
    return command ? EXIT.ok : EXIT.usage;
  }
  switch (command) {
    case "run": {
      const { values: v, positionals: p } = parse(rest, { input: { type: "string" }, budget: { type: "string" }, "require-approval": { type: "boolean", default: false }, detach: { type: "boolean", default: false }, "poll-ms": { type: "string", default: "500" } });
      if (v.help) return (process.stdout.write(HELP), EXIT.ok);
      if (p.length !== 1 || !p[0]) throw usageError("wflo run takes exactly one workflow id, e.g. wflo run cleanup-records");
      if (v.budget !== undefined && !/^\d+(\.\d+)?$/.test(v.budget)) throw usageError(`--budget must be US dollars like 10.00 (got ${v.budget})`);
      const pollMs = Number(v["poll-ms"]);
      if (!Number.isInteger(pollMs) || pollMs < 50) throw usageError("--poll-ms must be a whole number of milliseconds, at least 50");
      const input = readInput(v.input);
      return runWorkflow(client(), { workflow: p[0], input, budget: v.budget, requireApproval: v["require-approval"], detach: v.detach, json: v.json, pollMs });
    }
    case "runs": {
      const [sub, ...args] = rest;
      const { values: v, positionals: p } = parse(args, { workflow: { type: "string" }, status: { type: "string" }, limit: { type: "string" } });
      if (sub === "list") await runsList(client(), { workflow: v.workflow, status: v.status, limit: v.limit, json: v.json });
      else if (sub === "show") await runsShow(client(), p[0], v);
      else if (sub === "trace") await runsTrace(client(), p[0], v);
      else if (sub === "cancel") await runsCancel(client(), p[0], v);
      else throw usageError(`unknown command: wflo runs ${sub ?? ""}`.trim());
      return EXIT.ok;
    }
    case "approvals": {
      const [sub, ...args] = rest;
      const { values: v, positionals: p } = parse(args, { all: { type: "boolean", default: false }, run: { type: "string" }, comment: { type: "string" } });
      if (sub === "list") await approvalsList(client(), { all: v.all, run: v.run, json: v.json });
      else if (sub === "approve" || sub === "reject") await approvalsDecide(client(), sub, p[0], { comment: v.comment, json: v.json });
      else throw usageError(`unknown command: wflo approvals ${sub ?? ""}`.trim());
      return EXIT.ok;
    }
    case "budgets": {
      const [sub, ...args] = rest;
      const { values: v } = parse(args, {});
      if (sub !== "list") throw usageError(`unknown command: wflo budgets ${sub ?? ""}`.trim());
      await budgetsList(client(), v);
      return EXIT.ok;
    }
    case "login": {
      const { values: v } = parse(rest, { url: { type: "string" }, key: { type: "string" } });
      await login((url, apiKey) => new Client({ url, apiKey }), v);
      return EXIT.ok;
    }
    default:
      throw usageError(`unknown command: ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof CliError) {
      process.stderr.write(`wflo: ${e.message}\n`);
      process.exit(e.code);
    }
    process.stderr.write(`wflo: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(EXIT.unreachable);
  },
);
