import { LocalTime } from "@/components/runs/time";
import { Card, CardHeader } from "@/components/ui/card";
import type { ApprovalDecisionView } from "./approval-types";

/** Every decision on an approval so far: who, approve or reject, when, through what, and their comment. */
export function ApprovalDecisions({ decisions }: { decisions: ApprovalDecisionView[] }) {
  return (
    <Card>
      <CardHeader title="Decisions" />
      <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
        {decisions.map((d) => (
          <li key={d.id} className="px-5 py-3">
            <div className="flex items-center justify-between gap-2">
              <span className="font-medium">{d.deciderEmail}</span>
              <span className={d.decision === "approve" ? "text-emerald-600" : "text-rose-600"}>
                {d.decision === "approve" ? "approved" : "rejected"}
              </span>
            </div>
            <div className="text-xs text-slate-500">
              <LocalTime date={d.at} />
              {d.via === "api_key" ? " · via API key" : ""}
            </div>
            {d.comment ? <p className="mt-1 text-slate-600 dark:text-slate-300">“{d.comment}”</p> : null}
          </li>
        ))}
        {decisions.length === 0 ? <li className="px-5 py-4 text-slate-500">No one has decided yet.</li> : null}
      </ul>
    </Card>
  );
}
