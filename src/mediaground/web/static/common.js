/* Shared helpers for the mediaground UI.
 * Rule: text that comes from the library (captions, paths, transcripts, metadata) is only ever
 * put in the page with textContent / createElement (never as markup), so hostile tags show as text. */
"use strict";

const MG = (() => {
  /** Create an element. attrs: {className, text, href, src, ...}; children: nodes or strings (as text). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "className") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Only same-origin absolute paths from the API are used as URLs; anything else falls back. */
  function localPath(value, fallback) {
    return typeof value === "string" && /^\/(?![\/\\])/.test(value) ? value : fallback;
  }

  function enc(id) { return encodeURIComponent(String(id)); }

  function links(result) {
    const id = enc(result.asset_id);
    const l = result.links || {};
    return {
      asset: localPath(l.asset, `/api/assets/${id}`),
      media: localPath(l.media, `/media/${id}`),
      thumbnail: localPath(l.thumbnail, `/thumbs/${id}`),
      page: localPath(l.page, `/asset/${id}`),
    };
  }

  function num(value) { return typeof value === "number" && isFinite(value) ? value : null; }

  function fmtTime(seconds) {
    const s = num(seconds);
    if (s === null) return "";
    const whole = Math.max(0, Math.floor(s));
    const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), sec = whole % 60;
    const two = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
  }

  function fmtSpan(start, end) {
    if (num(start) === null) return "";
    return num(end) !== null && end > start ? `${fmtTime(start)}–${fmtTime(end)}` : fmtTime(start);
  }

  function basename(path) {
    if (typeof path !== "string") return "";
    const parts = path.split(/[\\/]/);
    return parts[parts.length - 1] || path;
  }

  const WHY = {
    "vector:text": "meaning of the words",
    "vector:image": "looks similar",
    "vector:audio": "sounds similar",
    "vector:transcript": "what is said",
    "text:caption": "caption",
    "text:title": "title",
    "text:keywords": "keywords",
    "text:filename": "file name",
    "text:transcript": "transcript words",
    "text:labels": "recognised labels",
    "text:place": "place",
    "geo:near": "near the place",
  };

  function whyLabel(code) {
    const text = String(code);
    return WHY[text] ? `${WHY[text]} (${text})` : text;
  }

  /** An <audio> (or <video>) element that starts at `start` seconds: a #t= fragment on the URL,
   *  and currentTime set once the metadata is loaded (browsers differ on honouring #t). */
  function player(kind, mediaUrl, start) {
    const s = num(start);
    const media = el(kind === "video" ? "video" : "audio", {
      controls: true, preload: "metadata", className: "player",
      src: s !== null && s > 0 ? `${mediaUrl}#t=${s}` : mediaUrl,
    });
    if (s !== null) {
      media.dataset.start = String(s);
      media.addEventListener("loadedmetadata", () => {
        if (Math.abs(media.currentTime - s) > 0.05) media.currentTime = s;
      }, { once: true });
    }
    return media;
  }

  function seek(media, seconds, play) {
    if (!media) return;
    const go = () => {
      media.currentTime = seconds;
      if (play) media.play().catch(() => {});
    };
    if (media.readyState >= 1) go();
    else media.addEventListener("loadedmetadata", go, { once: true });
  }

  /** A result card. Clicking it (outside the player and moment buttons) opens the asset page. */
  function resultCard(result, options) {
    const opts = options || {};
    const l = links(result);
    const start = num(result.start);
    const join = l.page.includes("?") ? "&" : "?";  // the page link may name the file the result cites
    const page = start !== null && start > 0 ? `${l.page}${join}t=${start}` : l.page;
    const title = result.caption || basename(result.path) || result.asset_id;
    const card = el("article", { className: `card kind-${String(result.kind || "other").replace(/[^a-z]/g, "")}`,
                                 dataset: { assetId: String(result.asset_id) } });
    let media = null;
    if (result.kind === "image") {
      card.append(el("a", { className: "thumb", href: page, title: String(title) },
        el("img", { src: `${l.thumbnail}?size=256`, alt: String(title), loading: "lazy", className: "thumbnail" })));
    } else if (result.kind === "audio" || result.kind === "video") {
      const box = el("div", { className: "thumb media" });
      if (result.kind === "video") {
        media = player("video", l.media, start);
        media.poster = `${l.thumbnail}?size=256`;
      } else {
        box.append(el("a", { className: "wave", href: page, "aria-label": "open asset", text: "♪" }));
        media = player("audio", l.media, start);
      }
      box.append(media);
      card.append(box);
    } else {
      card.append(el("a", { className: "thumb other", href: page, text: String(result.kind || "asset") }));
    }

    const body = el("div", { className: "body" });
    body.append(el("a", { className: "title", href: page, text: String(title) }));
    const meta = [String(result.kind || "")];
    if (num(result.score) !== null) meta.push(`score ${result.score.toFixed(3)}`);
    if (start !== null) meta.push(`at ${fmtSpan(result.start, result.end)}`);
    body.append(el("div", { className: "muted small", text: meta.filter(Boolean).join(" · ") }));
    if (result.path && result.caption) body.append(el("div", { className: "muted small path", text: basename(result.path) }));

    if (!opts.compact) {
      const why = Array.isArray(result.why) ? result.why : [];
      if (why.length) {
        const list = el("ul", { className: "why", "aria-label": "why it matched" });
        for (const w of why) list.append(el("li", { text: whyLabel(w) }));
        body.append(el("div", { className: "label", text: "Matched on" }), list);
      }
      const labels = Array.isArray(result.labels) ? result.labels : [];
      if (labels.length) body.append(el("div", { className: "muted small", text: `Labels: ${labels.join(", ")}` }));
      const moments = Array.isArray(result.moments) ? result.moments.slice(0, 3) : [];
      if (moments.length) {
        const list = el("ol", { className: "moments", "aria-label": "best moments" });
        for (const m of moments) {
          const btn = el("button", { type: "button", className: "moment", text: fmtSpan(m.start, m.end) });
          btn.addEventListener("click", () => seek(media, Number(m.start) || 0, true));
          list.append(el("li", {}, btn, " ", el("span", { text: m.text ? String(m.text) : String(m.why || "") })));
        }
        body.append(el("div", { className: "label", text: "Best moments" }), list);
      }
    }
    card.append(body);
    card.addEventListener("click", (event) => {
      if (event.target.closest("a, button, audio, video, input")) return;
      window.location.assign(page);
    });
    return card;
  }

  async function getJSON(url, init) {
    const response = await fetch(url, Object.assign({ headers: { Accept: "application/json" } }, init || {}));
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      // {"error": {"type", "message"}} from the API; {"detail": ...} from plain FastAPI errors
      const err = body && body.error;
      const detail = body && (typeof err === "object" && err ? err.message : err || body.detail);
      throw new Error(typeof detail === "string" ? detail : `${response.status} ${response.statusText}`);
    }
    return body;
  }

  return { el, links, enc, fmtTime, fmtSpan, basename, whyLabel, player, seek, resultCard, getJSON, localPath, num };
})();
