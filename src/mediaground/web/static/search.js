/* The search page: text search, search by an example file, filters, results grid. */
"use strict";

(() => {
  const { el, getJSON, resultCard } = MG;
  const $ = (id) => document.getElementById(id);
  const form = $("search-form"), results = $("results"), status = $("status");
  const fileInput = $("file"), drop = $("drop"), dropName = $("drop-name");
  const FILTERS = ["kind", "keyword", "creator", "license", "near", "radius_km", "limit"];
  let droppedFile = null;
  let generation = 0;

  function setStatus(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function filterParams() {
    const params = new URLSearchParams();
    for (const name of FILTERS) {
      const value = $(name).value.trim();
      if (value) params.set(name, value);
    }
    if ($("has_gps").checked) params.set("has_gps", "true");
    const near = params.get("near");
    if (near && !/^\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*$/.test(near)) {
      throw new Error("Near needs a place as LAT,LON, for example 48.8584,2.2945");
    }
    return params;
  }

  function render(data, what) {
    results.replaceChildren();
    const list = data && Array.isArray(data.results) ? data.results : [];
    setStatus(list.length ? `${list.length} result${list.length === 1 ? "" : "s"} for ${what}` : `No results for ${what}`);
    for (const result of list) results.append(resultCard(result));
  }

  async function run() {
    const mine = ++generation;
    let params;
    try { params = filterParams(); } catch (err) { setStatus(err.message, true); return; }
    const q = $("q").value.trim();
    const file = droppedFile || (fileInput.files && fileInput.files[0]) || null;
    try {
      let data, what;
      if (file) {
        const isImage = (file.type || "").startsWith("image/");
        const form = new FormData();
        form.append("file", file, file.name);
        form.append("limit", params.get("limit") || "20");
        what = `“${file.name}”`;
        setStatus(`Searching for media like ${what}…`);
        data = await getJSON(`/api/search/${isImage ? "image" : "audio"}?${params}`, { method: "POST", body: form });
      } else {
        if (!q && ![...params.keys()].some((k) => k !== "limit")) { setStatus("Type something to search for, or drop a file."); return; }
        if (q) params.set("q", q);
        what = q ? `“${q}”` : "the filters";
        history.replaceState(null, "", `/?${params}`);
        setStatus(`Searching ${what}…`);
        data = await getJSON(`/api/search?${params}`);
      }
      if (mine === generation) render(data, what);
    } catch (err) {
      if (mine === generation) { results.replaceChildren(); setStatus(`Search failed: ${err.message}`, true); }
    }
  }

  function chooseFile(file) {
    droppedFile = file;
    dropName.textContent = file ? `${file.name} — ` : "";
    if (file) {
      const clear = el("button", { type: "button", className: "link", text: "clear" });
      clear.addEventListener("click", () => { droppedFile = null; fileInput.value = ""; dropName.textContent = ""; });
      dropName.append(clear);
      run();
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  $("q").addEventListener("input", () => { if (droppedFile || fileInput.value) { droppedFile = null; fileInput.value = ""; dropName.textContent = ""; } });
  fileInput.addEventListener("change", () => chooseFile(fileInput.files[0] || null));
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (event) => { event.preventDefault(); drop.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    drop.addEventListener(type, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) chooseFile(file);
  });

  // Restore a search from the URL (shareable links; coming back from an asset page).
  const initial = new URLSearchParams(location.search);
  if (initial.has("q")) $("q").value = initial.get("q");
  for (const name of FILTERS) if (initial.has(name)) $(name).value = initial.get(name);
  if (initial.get("has_gps") === "true") $("has_gps").checked = true;
  if ([...initial.keys()].length) run();
  else $("q").focus();
})();
