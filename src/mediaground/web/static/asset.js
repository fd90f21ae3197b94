/* The asset page: preview, metadata, JSON-LD, provenance, transcript, similar assets. */
"use strict";

(() => {
  const { el, enc, getJSON, fmtTime, fmtSpan, basename, player, seek, resultCard } = MG;
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const raw = location.pathname.replace(/^\/asset\//, "");
  const assetId = decodeURIComponent(raw);
  const params = new URLSearchParams(location.search);
  const startAt = Number(params.get("t"));
  const fileId = params.get("file");  // the file of the asset a result cited: its own tags and bytes
  const fileQ = fileId && /^[0-9]+$/.test(fileId) ? `?file=${fileId}` : "";
  let media = null;

  function text(value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value) && value.every((v) => v === null || typeof v !== "object")) return value.join(", ");
    if (typeof value === "object") return JSON.stringify(value, null, 2);
    return String(value);
  }

  function row(tbody, key, value) {
    const shown = text(value);
    if (shown === "") return;
    const cell = el("td", {});
    cell.append(typeof value === "object" && !Array.isArray(value) ? el("pre", { className: "inline", text: shown }) : shown);
    tbody.append(el("tr", {}, el("th", { scope: "row", text: key }), cell));
  }

  function preview(asset) {
    const box = $("preview");
    const id = enc(asset.asset_id);
    if (asset.kind === "image") {
      const img = el("img", { src: `/thumbs/${id}?size=1024`, alt: String(asset.metadata && (asset.metadata.caption || asset.metadata.title) || asset.asset_id), className: "full" });
      img.addEventListener("error", () => { if (!img.dataset.fallback) { img.dataset.fallback = "1"; img.src = `/media/${id}${fileQ}`; } });
      box.append(el("a", { href: `/media/${id}${fileQ}`, title: "open the original" }, img));
    } else if (asset.kind === "audio" || asset.kind === "video") {
      media = player(asset.kind, `/media/${id}${fileQ}`, isFinite(startAt) && startAt > 0 ? startAt : null);
      if (asset.kind === "video") media.poster = `/thumbs/${id}?size=1024`;
      box.append(media);
    } else {
      box.append(el("a", { href: `/media/${id}${fileQ}`, text: "open the file" }));
    }
  }

  function metadata(asset) {
    const tbody = $("metadata").tBodies[0];
    const md = asset.metadata || {};
    row(tbody, "Asset ID", asset.asset_id);
    row(tbody, "Kind", asset.kind);
    row(tbody, "Format", [asset.format, asset.mime].filter(Boolean).join(" · "));
    if (asset.width && asset.height) row(tbody, "Size", `${asset.width} × ${asset.height} px`);
    if (asset.duration) row(tbody, "Duration", `${fmtTime(asset.duration)} (${Number(asset.duration).toFixed(2)} s)`);
    const skip = new Set(["sources", "width", "height", "duration"]);
    for (const [key, value] of Object.entries(md)) if (!skip.has(key)) row(tbody, key, value);
    if (Array.isArray(asset.labels) && asset.labels.length) {
      row(tbody, "Labels", asset.labels.map((l) => `${l.label} (${Number(l.score).toFixed(2)})`));
    }
    if (asset.audio) row(tbody, "Audio", asset.audio);
    row(tbody, "Paths", asset.paths);
    if (Array.isArray(asset.versions)) row(tbody, "Versions", asset.versions.length);
    if (Array.isArray(asset.vectors) && asset.vectors.length) {
      const models = [...new Set(asset.vectors.map((v) => v.model_id).filter(Boolean))];
      row(tbody, "Embeddings", `${asset.vectors.length} vectors · ${models.join(", ")}`);
    }
    if (md.sources) row(tbody, "Field sources", md.sources);
  }

  function provenance(asset) {
    const list = $("provenance");
    for (const event of asset.provenance || []) {
      const details = Object.entries(event).filter(([k]) => k !== "event" && k !== "at")
        .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
      list.append(el("li", {}, el("strong", { text: String(event.event || "event") }), " ",
        el("time", { className: "muted", text: String(event.at || "") }),
        details.length ? el("div", { className: "muted small details", text: details.join(" · ") }) : null));
    }
    if (!list.children.length) list.append(el("li", { className: "muted", text: "No events recorded." }));
  }

  function transcript(asset) {
    const segments = Array.isArray(asset.transcript) ? asset.transcript : [];
    if (!segments.length) return;
    $("transcript-section").hidden = false;
    const list = $("transcript");
    for (const seg of segments) {
      const btn = el("button", { type: "button", className: "moment", text: fmtSpan(seg.start, seg.end),
                                 title: "play from here" });
      const item = el("li", { dataset: { start: String(seg.start) } }, btn, " ", el("span", { text: String(seg.text || "") }));
      const go = () => seek(media, Number(seg.start) || 0, true);
      btn.addEventListener("click", go);
      item.addEventListener("click", (event) => { if (event.target !== btn) go(); });
      list.append(item);
    }
    if (media) {
      media.addEventListener("timeupdate", () => {
        const t = media.currentTime;
        for (const item of list.children) {
          const seg = segments[Array.prototype.indexOf.call(list.children, item)];
          item.classList.toggle("now", t >= seg.start && t < seg.end);
        }
      });
    }
  }

  async function similar() {
    const box = $("similar");
    try {
      const data = await getJSON(`/api/assets/${enc(assetId)}/similar?limit=8`);
      const list = (data && data.results || []).filter((r) => r.asset_id !== assetId);
      for (const r of list) box.append(resultCard(r, { compact: true }));
      if (!list.length) box.append(el("p", { className: "muted", text: "Nothing similar yet." }));
    } catch (err) {
      box.append(el("p", { className: "muted", text: `Could not load similar assets: ${err.message}` }));
    }
  }

  async function load() {
    let data;
    try {
      data = await getJSON(`/api/assets/${enc(assetId)}${fileQ}`);
    } catch (err) {
      status.textContent = `Could not load asset ${assetId}: ${err.message}`;
      status.classList.add("error");
      return;
    }
    const asset = data.asset || {};
    const md = asset.metadata || {};
    const title = md.title || md.caption || basename(asset.path || (asset.paths || [])[0]) || asset.asset_id;
    document.title = `${title} — mediaground`;
    $("title").textContent = String(title);
    status.textContent = "";
    preview(asset);
    metadata(asset);
    $("jsonld").textContent = JSON.stringify(data.jsonld || {}, null, 2);
    provenance(asset);
    transcript(asset);
    similar();
  }

  load();
})();
