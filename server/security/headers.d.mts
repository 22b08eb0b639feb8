export type HeaderOptions = { dev?: boolean };
export function contentSecurityPolicy(opts?: HeaderOptions): string;
export function securityHeaders(opts?: HeaderOptions): { key: string; value: string }[];
export function headerRules(opts?: HeaderOptions): { source: string; headers: { key: string; value: string }[] }[];
