/* The audit dashboard: one tab per audit (alt text, geo, labels, personal data); summary numbers and findings, worst first.
 * Finding text (alt text in a detail, paths) is hostile: it only goes in via textContent. */
"use strict";

(() => {
  const { el, enc, getJSON, basename, num } = MG;
  const AUDITS = ["alt-text", "geo", "labels", "pii"];
  const SUMMARY_LABELS = {
    images: "Images", with_alt_text: "With alt text", share_with_alt_text: "Share with alt text",
    duplicate_groups: "Duplicate groups", similarity_checked: "Similarity checked",
    mismatch_threshold: "Mismatch threshold", assets: "Assets", with_gps: "With GPS",
    share_with_gps: "Share with GPS", suggestions: "Place suggestions",
  };
  const loaded = {};

  function panel(name) { return document.querySelector(`.panel[data-audit="${name}"]`); }

  function setStatus(box, text, isError) {
    const status = box.querySelector(".status");
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function fmtValue(key, value) {
    if (typeof value === "number") {
      if (key.startsWith("share_")) return `${(value * 100).toFixed(1)} %`;
      return Number.isInteger(value) ? String(value) : value.toFixed(2);
    }
    if (value === null || value === undefined) return "";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function renderSummary(box, summary) {
    const dl = box.querySelector(".summary");
    dl.replaceChildren();
    for (const [key, value] of Object.entries(summary || {})) {
      if (key === "findings_by_kind" || key === "by_folder") continue;
      if (value !== null && typeof value === "object") continue;
      dl.append(el("div", { className: "stat", dataset: { key } },
        el("dt", { text: SUMMARY_LABELS[key] || key.replace(/_/g, " ") }),
        el("dd", { text: fmtValue(key, value) })));
    }
    const kinds = box.querySelector(".kinds");
    kinds.replaceChildren();
    const byKind = summary && typeof summary.findings_by_kind === "object" && summary.findings_by_kind ? summary.findings_by_kind : {};
    for (const [kind, n] of Object.entries(byKind).sort((a, b) => b[1] - a[1])) {
      kinds.append(el("li", {}, el("span", { className: "kind", text: kind }), ` ${fmtValue("", n)}`));
    }
  }

  function thumbCell(finding) {
    const cell = el("td", { className: "thumbcell" });
    const id = enc(finding.asset_id);
    const img = el("img", { src: `/thumbs/${id}?size=128`, alt: "", loading: "lazy", className: "thumbnail" });
    // audio/video (no thumbnail) or a missing file: say so instead of a broken image
    img.addEventListener("error", () => img.replaceWith(el("span", { className: "nothumb", text: "no preview" })), { once: true });
    cell.append(el("a", { href: `/asset/${id}`, tabindex: "-1" }, img));
    return cell;
  }

  function renderFindings(box, findings) {
    const tbody = box.querySelector(".findings tbody");
    tbody.replaceChildren();
    // the API sends them worst first; sort again so the table stays worst first whatever arrives
    const rows = findings.slice().sort((a, b) => (num(b.severity) || 0) - (num(a.severity) || 0));
    for (const f of rows) {
      const sev = Math.max(0, Math.min(1, num(f.severity) || 0));
      const id = enc(f.asset_id);
      const tr = el("tr", { className: "finding", dataset: { kind: String(f.kind || ""), assetId: String(f.asset_id || "") } });
      tr.append(
        thumbCell(f),
        el("td", { className: `sev ${sev >= 0.75 ? "high" : sev >= 0.45 ? "mid" : "low"}`, text: sev.toFixed(2) }),
        el("td", {}, el("span", { className: "kind", text: String(f.kind || "") })),
        el("td", { className: "detail", text: String(f.detail || "") }),
        el("td", { className: "where" },
          el("a", { className: "open", href: `/asset/${id}`, text: basename(f.path) || String(f.asset_id) }),
          el("div", { className: "muted small id", text: String(f.asset_id || "").slice(0, 12) })));
      tbody.append(tr);
    }
    box.querySelector(".findings").hidden = rows.length === 0;
  }

  async function load(name) {
    if (loaded[name]) return;
    loaded[name] = true;
    const box = panel(name);
    setStatus(box, "Loading…");
    try {
      const data = await getJSON(`/api/audit/${enc(name)}`);
      const findings = data && Array.isArray(data.findings) ? data.findings : [];
      renderSummary(box, data && data.summary);
      renderFindings(box, findings);
      setStatus(box, findings.length ? `${findings.length} finding${findings.length === 1 ? "" : "s"}, worst first` : "No findings.");
      box.dataset.loaded = "true";
    } catch (err) {
      loaded[name] = false;
      setStatus(box, `Could not load the audit: ${err.message}`, true);
    }
  }

  function show(name) {
    for (const other of AUDITS) {
      const tab = document.getElementById(`tab-${other}`);
      tab.setAttribute("aria-selected", String(other === name));
      tab.classList.toggle("active", other === name);
      panel(other).hidden = other !== name;
    }
    if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
    load(name);
  }

  for (const name of AUDITS) document.getElementById(`tab-${name}`).addEventListener("click", () => show(name));
  const initial = location.hash.slice(1);
  show(AUDITS.includes(initial) ? initial : AUDITS[0]);
})();
