import Link from "next/link";

export default function Forbidden() {
  return (
    <div className="grid min-h-[60vh] place-items-center p-8">
      <div className="text-center">
        <p className="text-sm font-semibold text-rose-600">403</p>
        <h1 className="mt-2 text-xl font-semibold">You don&apos;t have access to this page</h1>
        <p className="mt-2 text-sm text-slate-500 dark:text-slate-400">
          Your role does not include the permission it needs. Ask an admin if you should.
        </p>
        <Link href="/" className="mt-6 inline-block text-sm font-medium text-brand-600 hover:underline">
          Back to the dashboard
        </Link>
      </div>
    </div>
  );
}
