import type { Metadata } from "next";
import { cookies } from "next/headers";
import { Providers } from "@/components/shell/providers";
import "./globals.css";

export const metadata: Metadata = { title: "wflo", description: "The secure runtime and control panel for AI agents" };
export const dynamic = "force-dynamic";

// Without a saved choice, follow the system before first paint so there is no flash.
const systemTheme = `(function(){try{if(!document.cookie.includes('wflo-theme=')&&matchMedia('(prefers-color-scheme: dark)').matches)document.documentElement.classList.add('dark')}catch(e){}})()`;

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const theme = (await cookies()).get("wflo-theme")?.value;
  return (
    <html lang="en" className={theme === "dark" ? "dark" : undefined} suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a constant script of ours (no user data) that sets the theme before first paint. */}
        <script dangerouslySetInnerHTML={{ __html: systemTheme }} />
      </head>
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
