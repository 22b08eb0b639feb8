import { Card } from "./card";

export function EmptyState({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Card className="px-6 py-12 text-center">
      <h2 className="text-sm font-semibold">{title}</h2>
      <div className="mx-auto mt-2 max-w-md text-sm text-slate-500 dark:text-slate-400">{children}</div>
    </Card>
  );
}
