"use client";

import { Catalogue } from "./price-catalogue";
import { Overrides } from "./price-overrides";

/** The Models & prices page: admin overrides above, the searchable catalogue below. */
export function ModelsPrices({ canManage }: { canManage: boolean }) {
  return (
    <div className="space-y-6">
      <Overrides canManage={canManage} />
      <Catalogue />
    </div>
  );
}
