import { openApiDocument } from "./openapi";

/**
 * The browsable reference at /api/v1/docs: one self-contained HTML page that renders the
 * OpenAPI document embedded in it. No CDN and no UI package: nothing is downloaded at run time.
 */
export function docsPage(): string {
  // "<" escaped so the JSON cannot close the script element.
  const doc = JSON.stringify(openApiDocument()).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>wflo REST API reference</title>
<style>
:root{color-scheme:light dark;--b:#8883;--m:#888}
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem}
code,pre{font:13px ui-monospace,monospace}pre{background:#8881;padding:.6rem;border-radius:6px;overflow:auto;max-height:24rem}
details{border:1px solid var(--b);border-radius:8px;margin:.5rem 0;padding:.4rem .8rem}summary{cursor:pointer}
.m{display:inline-block;min-width:3.5rem;font-weight:600}.GET{color:#2a7}.POST{color:#27c}.perm{color:var(--m);font-size:13px;margin-left:.5rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid var(--b);padding:.2rem .4rem;text-align:left;vertical-align:top}
</style></head><body>
<h1>wflo REST API</h1><p><a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI 3.1)</p><div id="intro"></div><div id="ops"></div>
<script id="doc" type="application/json">${doc}</script>
<script>
const doc = JSON.parse(document.getElementById("doc").textContent);
const el = (t, props = {}, ...kids) => { const e = document.createElement(t); Object.assign(e, props); e.append(...kids); return e; };
const pre = (v) => el("pre", { textContent: JSON.stringify(v, null, 2) });
document.getElementById("intro").append(el("p", { textContent: doc.info.description }));
const ops = document.getElementById("ops");
for (const tag of doc.tags) {
  ops.append(el("h2", { textContent: tag.name }));
  for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) {
    if (!op.tags.includes(tag.name)) continue;
    const M = method.toUpperCase();
    const body = el("div");
    if (op.description) body.append(el("p", { textContent: op.description }));
    if (op.parameters.length) body.append(el("h4", { textContent: "Parameters" }), el("table", {}, ...op.parameters.map((p) => el("tr", {}, el("td", {}, el("code", { textContent: p.name })), el("td", { textContent: p.in + (p.required ? ", required" : "") }), el("td", { textContent: (p.description || "") + " " + JSON.stringify(p.schema) })))));
    if (op.requestBody) body.append(el("h4", { textContent: "Body (application/json)" }), pre(op.requestBody.content["application/json"].schema));
    body.append(el("h4", { textContent: "Responses" }), el("table", {}, ...Object.entries(op.responses).map(([s, r]) => el("tr", {}, el("td", { textContent: s }), el("td", { textContent: r.description })))));
    const ok = Object.entries(op.responses).find(([s]) => s.startsWith("2"));
    if (ok && ok[1].content) body.append(pre(ok[1].content["application/json"].schema));
    ops.append(el("details", { id: op.operationId }, el("summary", {}, el("span", { className: "m " + M, textContent: M }), el("code", { textContent: "/api/v1" + path }), " — " + op.summary, el("span", { className: "perm", textContent: op["x-wflo-permission"] })), body));
  }
}
ops.append(el("h2", { textContent: "Errors" }), el("p", { textContent: "Every error is JSON:" }), pre(doc.components.schemas.Error));
</script></body></html>`;
}
