import { parseArgs, type ParseArgsConfig } from "node:util";
import { WfloApiError, WfloClient } from "../sdk/client";
import { clientFor } from "./client";
import {
  approvalsDecide,
  approvalsList,
  approvalsShow,
  budgetsList,
  login,
  runsCancel,
  runsList,
  runsReplay,
  runsRerun,
  runsShow,
  runsTrace,
} from "./commands";
import { loadConfig } from "./config";
import { CliError, cliErrorOf, EXIT, usageError } from "./errors";
import { init, nextSteps } from "./init";
import { readInput } from "./input";
import { runWorkflow } from "./run";

const HELP = `wflo — the wflo control panel from the terminal (over its REST API)

usage:
  wflo init [--name <workflow-id>] [--url <url>] [--dir workflows] [--force]
                                             scaffolds a workflow, wflo.config.json and .env.example
                                             into the current project (overwrites nothing without --force)
  wflo run <workflow> [--input '<json>' | --input - ] [--budget 10.00] [--require-approval] [--detach] [--json]
                                             streams the run's steps and approvals until it ends
  wflo runs list [--workflow <id>] [--status <status>] [--limit <n>] [--json]
  wflo runs show <run-id> [--json]           status, steps, result and cost
  wflo runs trace <run-id> [--json]          the span tree with LLM tokens and costs
  wflo runs replay <run-id> [--json]         today's code against the run's records: the divergence report
  wflo runs rerun <run-id> [--budget 10.00] [--json]
  wflo runs cancel <run-id> [--json]
  wflo approvals list [--all] [--run <run-id>] [--json]
  wflo approvals show <approval-id | run-id> [--json]
                                             what the approver is asked (a run id: the approval it waits for)
  wflo approvals approve <approval-id> [--comment <text>] [--json]
  wflo approvals reject <approval-id> [--comment <text>] [--json]
  wflo budgets list [--json]
  wflo login --url <url> --key <api-key>     checks them, then saves them to ~/.wflo/config.json

config (first match wins): WFLO_URL and WFLO_API_KEY in the environment; the project's .env and
  wflo.config.json (url, apiKeyEnv) in the current directory; ~/.wflo/config.json (wflo login).
input: --input '<json>', --input - (stdin), or JSON piped to stdin.
exit codes (stable):
  0    ok
  1    the run failed or was cancelled
  2    bad usage or config (unknown command or flag, bad --input JSON, no server/key configured,
       wflo init would overwrite a file)
  3    cannot reach the server, or not authorised (missing/revoked key, role lacks the permission)
  4    validation failed (input does not fit the workflow, unknown workflow, run or approval id,
       a run that cannot be cancelled or re-run)
  5    budget exceeded (the run was stopped by its budget, or a call was refused)
  130  interrupted (Ctrl-C while following a run; the run goes on on the server)
`;

const common = {
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError((e as Error).message.split("\n")[0] ?? "bad arguments");
  }
}

const client = () => clientFor(loadConfig());

function printHelp(): number {
  process.stdout.write(HELP);
  return EXIT.ok;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(HELP);
    return command ? EXIT.ok : EXIT.usage;
  }
  switch (command) {
    case "run": {
      const { values: v, positionals: p } = parse(rest, {
        input: { type: "string" },
        budget: { type: "string" },
        "require-approval": { type: "boolean", default: false },
        detach: { type: "boolean", default: false },
        "poll-ms": { type: "string", default: "500" },
      });
      if (v.help) return printHelp();
      if (p.length !== 1 || !p[0])
        throw usageError("wflo run takes exactly one workflow id, e.g. wflo run cleanup-records");
      if (v.budget !== undefined && !/^\d+(\.\d+)?$/.test(v.budget))
        throw usageError(`--budget must be US dollars like 10.00 (got ${v.budget})`);
      const pollMs = Number(v["poll-ms"]);
      if (!Number.isInteger(pollMs) || pollMs < 50)
        throw usageError("--poll-ms must be a whole number of milliseconds, at least 50");
      const input = readInput(v.input);
      return runWorkflow(client(), {
        workflow: p[0],
        input,
        budget: v.budget,
        requireApproval: v["require-approval"],
        detach: v.detach,
        json: v.json,
        pollMs,
      });
    }
    case "runs": {
      const [sub, ...args] = rest;
      const { values: v, positionals: p } = parse(args, {
        workflow: { type: "string" },
        status: { type: "string" },
        limit: { type: "string" },
        budget: { type: "string" },
      });
      if (v.help) return printHelp();
      if (v.budget !== undefined && sub !== "rerun") throw usageError(`--budget is for wflo run and wflo runs rerun`);
      if (v.budget !== undefined && !/^\d+(\.\d+)?$/.test(v.budget))
        throw usageError(`--budget must be US dollars like 10.00 (got ${v.budget})`);
      if (sub === "list")
        await runsList(client(), { workflow: v.workflow, status: v.status, limit: v.limit, json: v.json });
      else if (sub === "show") await runsShow(client(), p[0], v);
      else if (sub === "trace") await runsTrace(client(), p[0], v);
      else if (sub === "replay") await runsReplay(client(), p[0], v);
      else if (sub === "rerun") await runsRerun(client(), p[0], { budget: v.budget, json: v.json });
      else if (sub === "cancel") await runsCancel(client(), p[0], v);
      else throw usageError(`unknown command: wflo runs ${sub ?? ""}`.trim());
      return EXIT.ok;
    }
    case "approvals": {
      const [sub, ...args] = rest;
      const { values: v, positionals: p } = parse(args, {
        all: { type: "boolean", default: false },
        run: { type: "string" },
        comment: { type: "string" },
      });
      if (sub === "list") await approvalsList(client(), { all: v.all, run: v.run, json: v.json });
      else if (sub === "show") await approvalsShow(client(), p[0], v);
      else if (sub === "approve" || sub === "reject")
        await approvalsDecide(client(), sub, p[0], { comment: v.comment, json: v.json });
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
      await login((baseUrl, apiKey) => new WfloClient({ baseUrl, apiKey }), v);
      return EXIT.ok;
    }
    case "init": {
      const { values: v, positionals: p } = parse(rest, {
        name: { type: "string", default: "my-workflow" },
        url: { type: "string", default: "http://localhost:3000" },
        dir: { type: "string", default: "workflows" },
        force: { type: "boolean", default: false },
      });
      if (v.help) return printHelp();
      if (p.length)
        throw usageError(`wflo init takes no arguments (got ${p.join(" ")}); it sets up the current directory`);
      const r = init({ cwd: process.cwd(), name: v.name, url: v.url, dir: v.dir, force: v.force, json: v.json });
      if (v.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        for (const f of r.created) process.stdout.write(`created ${f}\n`);
        process.stdout.write(nextSteps(r.created[0]!));
      }
      return EXIT.ok;
    }
    default:
      throw usageError(`unknown command: ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (thrown: unknown) => {
    const e = thrown instanceof WfloApiError ? cliErrorOf(thrown) : thrown;
    if (e instanceof CliError) {
      process.stderr.write(`wflo: ${e.message}\n`);
      process.exit(e.code);
    }
    process.stderr.write(`wflo: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(EXIT.unreachable);
  },
);
