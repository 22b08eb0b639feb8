"use client";

import { SessionProvider } from "next-auth/react";
import { TRPCReactProvider } from "@/components/trpc/client";

export function Providers({ children }: { children: React.ReactNode }) {
  return (
    <SessionProvider refetchOnWindowFocus={false}>
      <TRPCReactProvider>{children}</TRPCReactProvider>
    </SessionProvider>
  );
}
