import type { RecordedExchange } from "../http-recorder.ts";
import type { CheckResult, ConformanceReport } from "../run-conformance.ts";
import { curlCommand } from "./curl.ts";

/**
 * Escapes text for HTML content and attributes.
 *
 * @example
 * escapeHtml("<script>") // "&lt;script&gt;"
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function exchangeHtml(e: RecordedExchange): string {
  const head = (h: Record<string, string>, dir: string) =>
    Object.entries(h).map(([k, v]) => `<span class="h">${dir} ${escapeHtml(k)}: ${escapeHtml(v)}</span>`).join("\n");
  return `<div class="ex"><div class="req"><b>${escapeHtml(e.method)}</b> ${escapeHtml(e.url)}</div><pre>${head(e.requestHeaders, "&gt;")}${
    e.requestBody ? `\n<span class="b">${escapeHtml(e.requestBody.slice(0, 1_000))}</span>` : ""
  }${e.error ? `\n<span class="err">! ${escapeHtml(e.error)}</span>` : ""}${
    e.status !== undefined
      ? `\n<span class="st">&lt; ${e.status}</span> <span class="ms">${e.durationMs} ms</span>\n${head(e.responseHeaders, "&lt;")}${
          e.responseBody ? `\n<span class="b">${escapeHtml(e.responseBody.slice(0, 2_000))}</span>` : ""
        }`
      : ""
  }</pre></div>`;
}

/** The row's id, linked from the banner. */
function checkAnchor(id: string): string {
  return `check-${id.replace(/[^\w.-]/g, "_")}`;
}

// Failures first (MUST before SHOULD), then skips, then passes: what needs reading comes first.
const outcomeOrder = { failed: 0, skipped: 1, passed: 2 } as const;
function byUrgency(a: CheckResult, b: CheckResult): number {
  return outcomeOrder[a.outcome] - outcomeOrder[b.outcome] || (a.level === b.level ? 0 : a.level === "MUST" ? -1 : 1);
}

function rowHtml(r: CheckResult): string {
  const detail =
    r.outcome === "failed"
      ? `<details><summary>${escapeHtml(r.message ?? "failed")}</summary><p class="clause">${escapeHtml(r.clause)} · ${r.level} · ${escapeHtml(r.title)}</p>${
          r.evidence[0] ? `<pre class="curl" title="reproduce the first failing request">${escapeHtml(curlCommand(r.evidence[0]))}</pre>` : ""
        }${r.evidence.map(exchangeHtml).join("")}</details>`
      : r.outcome === "skipped"
        ? `<span class="why">${escapeHtml(r.message ?? "")}</span>`
        : "";
  const notes = r.notes.map((n) => `<div class="note">${escapeHtml(n)}</div>`).join("");
  return `<tr class="${r.outcome}" id="${escapeHtml(checkAnchor(r.id))}" data-outcome="${r.outcome}" data-level="${r.level}" data-section="${escapeHtml(r.section)}" data-text="${escapeHtml(`${r.id} ${r.title} ${r.clause} ${r.message ?? ""}`.toLowerCase())}">
<td class="o"><span class="badge ${r.outcome}">${r.outcome}</span></td><td class="lv">${r.level}</td><td><code>${escapeHtml(r.id)}</code><div class="t">${escapeHtml(r.title)}</div>${notes}</td><td class="cl">${escapeHtml(r.clause)}</td><td class="d">${r.durationMs} ms</td><td class="det">${detail}</td></tr>`;
}

const STYLE = `
:root{--ok:#1a7f37;--bad:#cf222e;--skip:#9a6700;--fg:#1f2328;--mut:#656d76;--bd:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);margin:0;padding:24px;background:#fff}
h1{font-size:20px;margin:0 0 4px}.sub{color:var(--mut);margin-bottom:16px}
.cards{display:flex;gap:12px;margin-bottom:16px;flex-wrap:wrap}.card{border:1px solid var(--bd);border-radius:8px;padding:10px 16px;min-width:120px;background:var(--bg)}
.card b{display:block;font-size:22px}.card.passed b{color:var(--ok)}.card.failed b{color:var(--bad)}.card.skipped b{color:var(--skip)}
.verdict{font-weight:600;padding:8px 12px;border-radius:6px;display:inline-block;margin-bottom:16px}.verdict.ok{background:#dafbe1;color:var(--ok)}.verdict.ko{background:#ffebe9;color:var(--bad)}
.filters{display:flex;gap:8px;margin-bottom:12px;flex-wrap:wrap}.filters input,.filters select{font:inherit;padding:6px 8px;border:1px solid var(--bd);border-radius:6px}
.filters input{min-width:280px}#count{color:var(--mut);align-self:center}
table{border-collapse:collapse;width:100%;table-layout:fixed}td{overflow-wrap:anywhere}
col.o{width:84px}col.lv{width:72px}col.ck{width:30%}col.cl{width:14%}col.d{width:72px}
.failures{margin:0 0 16px;padding-left:20px}.failures a{color:var(--bad)}pre.curl{background:#fff;border:1px dashed var(--bd);border-radius:6px}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--bd)}th{background:var(--bg);position:sticky;top:0}
.badge{font-size:12px;font-weight:600;border-radius:10px;padding:1px 8px;color:#fff}.badge.passed{background:var(--ok)}.badge.failed{background:var(--bad)}.badge.skipped{background:var(--skip)}
.t{color:var(--mut)}.d,.lv{white-space:nowrap;color:var(--mut)}.cl{color:var(--mut)}.why{color:var(--skip)}.note{color:var(--mut);font-style:italic}
details summary{cursor:pointer;color:var(--bad);font-weight:600}.clause{color:var(--mut);margin:6px 0}
.ex{border:1px solid var(--bd);border-radius:6px;margin:6px 0;background:var(--bg)}.req{padding:4px 8px;border-bottom:1px solid var(--bd);word-break:break-all}
pre{margin:0;padding:6px 8px;white-space:pre-wrap;word-break:break-all;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}.h{color:#0550ae}.st{font-weight:700}.err{color:var(--bad)}.ms{color:var(--mut)}
tr.hidden{display:none}
`;

const SCRIPT = `
(function(){
  var q=document.getElementById('q'),o=document.getElementById('outcome'),l=document.getElementById('level'),s=document.getElementById('section'),c=document.getElementById('count');
  function apply(){var text=q.value.trim().toLowerCase(),n=0,rows=document.querySelectorAll('tbody tr');
    rows.forEach(function(r){var show=(!text||r.dataset.text.indexOf(text)>=0)&&(!o.value||r.dataset.outcome===o.value)&&(!l.value||r.dataset.level===l.value)&&(!s.value||r.dataset.section===s.value);
      r.classList.toggle('hidden',!show);if(show)n++;});c.textContent=n+' of '+rows.length+' checks';}
  [q,o,l,s].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
  var h=location.hash.slice(1);if(h==='failed'||h==='passed'||h==='skipped'){o.value=h;}
  apply();
})();
`;

/** The banner's list of failures, each a link to its row (MUST first). */
function failureLinks(report: ConformanceReport): string {
  const failed = report.results.filter((r) => r.outcome === "failed").sort(byUrgency);
  if (failed.length === 0) return "";
  return `<ol class="failures" id="failures">${failed
    .map((r) => `<li><a href="#${escapeHtml(checkAnchor(r.id))}">${escapeHtml(r.id)}</a> (${r.level}): ${escapeHtml(r.message ?? "failed")}</li>`)
    .join("")}</ol>`;
}

/**
 * A self-contained HTML report (no external assets): summary, a filterable table and the
 * evidence of every failure.
 *
 * @example
 * writeFileSync("conformance.html", renderHtml(report));
 */
export function renderHtml(report: ConformanceReport): string {
  const s = report.summary;
  const sections = [...new Set(report.results.map((r) => r.section))];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>async-jobs conformance: ${escapeHtml(report.baseUrl)}</title><style>${STYLE}</style></head>
<body>
<h1>async-jobs conformance</h1>
<div class="sub">${escapeHtml(report.baseUrl)} · ${escapeHtml(report.startedAt)} · ${(report.durationMs / 1000).toFixed(1)} s</div>
<div class="verdict ${report.ok ? "ok" : "ko"}" id="verdict">${report.ok ? "PASS: every selected MUST holds" : `FAIL: ${s.mustFailed} MUST check${s.mustFailed === 1 ? "" : "s"} failed`}</div>
${failureLinks(report)}
<div class="sub">suite ${escapeHtml(report.suiteVersion)} · protocol ${escapeHtml(report.protocolVersion)} · MUST checks: ${s.must.ran} ran, ${s.must.passed} passed, ${s.must.skipped} skipped${s.setupFailed ? ` · ${s.setupFailed} blocked by a failed setup step` : ""}</div>
<div class="cards"><div class="card"><b>${s.total}</b>checks</div><div class="card passed"><b>${s.passed}</b>passed</div><div class="card failed"><b>${s.failed}</b>failed (${s.mustFailed} MUST, ${s.shouldFailed} SHOULD)</div><div class="card skipped"><b>${s.skipped}</b>skipped</div></div>
<div class="filters"><input id="q" type="search" placeholder="Filter by id, title, clause or message" aria-label="Filter">
<select id="outcome" aria-label="Outcome"><option value="">all outcomes</option><option value="failed">failed</option><option value="passed">passed</option><option value="skipped">skipped</option></select>
<select id="level" aria-label="Level"><option value="">MUST and SHOULD</option><option value="MUST">MUST</option><option value="SHOULD">SHOULD</option></select>
<select id="section" aria-label="Section"><option value="">all sections</option>${sections.map((x) => `<option>${escapeHtml(x)}</option>`).join("")}</select>
<span id="count"></span></div>
<table><colgroup><col class="o"><col class="lv"><col class="ck"><col class="cl"><col class="d"><col></colgroup><thead><tr><th>Outcome</th><th>Level</th><th>Check</th><th>Clause</th><th>Time</th><th>Details</th></tr></thead>
<tbody>
${[...report.results].sort(byUrgency).map(rowHtml).join("\n")}
</tbody></table>
<script>${SCRIPT}</script>
</body></html>
`;
}
