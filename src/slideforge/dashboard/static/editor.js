// slideforge dashboard: the slide editor of /app/slideshows/{id}.
//
// The page carries the slideshow as GET /slideshows/{id} returns it (a JSON block). Edits are
// made on a copy of its slides; Save sends them with PATCH /slideshows/{id} and the revision
// the page loaded, so a change made elsewhere meanwhile answers 409 (shown, edits kept).
// Positions follow the API: x/y are the centre of a text box and width its width, in percent
// of the slide; font sizes are px at a 1080 px wide slide.
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const clone = (value) => JSON.parse(JSON.stringify(value));
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const round = (v) => Math.round(v * 100) / 100;
  const make = (tag, className, text) => {
    const node = document.createElement(tag);
    node.className = className || "";
    if (text !== undefined) node.textContent = text;
    return node;
  };
  // What GET returns about the last render; a PATCH ignores it, so it is not sent.
  const RENDER_FIELDS = ["index", "rendered_image_url", "checks", "text_fits", "warnings"];
  // The side panel's inputs and the text element field each one edits.
  const FIELDS = { "el-text": "content", "el-preset": "style_preset", "el-font": "font_family", "el-size": "font_size", "el-width": "width" };

  let data, root, stage, boxes;
  let show; // the slideshow as the server last answered
  let slides; // the slides being edited
  let current = 0; // slide shown
  let selected = -1; // text element selected on it
  let edited = new Set(); // slides changed since the page loaded or saved
  let dirty = false;
  let busy = false;
  const blocked = new Set(); // pictures the browser could not show

  function setState(message) {
    $("state").textContent = message;
  }

  function load(slideshow) {
    show = slideshow;
    slides = clone(slideshow.slides);
    edited = new Set();
    dirty = false;
    root.dataset.revision = String(slideshow.revision);
    $("title").value = slideshow.title;
    $("status").textContent = slideshow.status;
    $("status").className = "badge " + (slideshow.status === "rendered" ? "ok" : "pending");
    current = clamp(current, 0, Math.max(slides.length - 1, 0));
    if (selected >= elements().length) selected = -1;
    drawAll();
  }

  function changed(message) {
    dirty = true;
    edited.add(current);
    setState(message || "Unsaved changes");
    placeBoxes();
    drawStrip();
    drawPicture();
    drawChecks();
  }

  function elements() {
    const slide = slides[current];
    return slide ? slide.text_elements : [];
  }

  // ---- drawing ---------------------------------------------------------------------------

  function picture(index) {
    // A slide edited since its render shows its background: the render is out of date. A
    // background the page may not show (another site's) falls back to the last render.
    const slide = slides[index];
    if (!slide) return "";
    const rendered = slide.rendered_image_url;
    if (rendered && (!edited.has(index) || !slide.image_url || blocked.has(slide.image_url))) return rendered;
    return slide.image_url || "";
  }

  function stale(index) {
    const slide = slides[index] || {};
    return edited.has(index) || !slide.rendered_image_url;
  }

  function drawAll() {
    drawStrip();
    drawPicture();
    drawBoxes();
    drawPanel();
    drawChecks();
  }

  function drawStrip() {
    document.querySelectorAll("#strip .slide-thumb").forEach((button) => {
      const index = Number(button.dataset.index);
      const img = button.querySelector("img");
      const src = picture(index);
      if (img.getAttribute("src") !== src) img.setAttribute("src", src);
      button.setAttribute("aria-current", index === current ? "true" : "false");
      const problems = findings(index).filter((c) => c.severity !== "info").length;
      const flag = button.querySelector(".flag");
      flag.hidden = problems === 0;
      flag.textContent = problems ? problems + " to check" : "";
    });
  }

  function drawPicture() {
    const img = $("slide-img");
    const src = picture(current);
    const slide = slides[current] || {};
    const note = $("stage-note");
    if (img.getAttribute("src") !== src) img.setAttribute("src", src);
    img.alt = "Slide " + (current + 1) + (src === slide.rendered_image_url ? " as last rendered" : " background");
    stage.classList.toggle("preview", stale(current));
    note.textContent = "";
    if (!slide.rendered_image_url) note.textContent = "Not rendered yet: Render draws the slides.";
    else if (edited.has(current)) note.textContent = "Edited: Render draws the slide again.";
    if (slide.image_url && blocked.has(slide.image_url)) {
      note.textContent += " This background is on another site and cannot be shown here" + (slide.rendered_image_url ? ": the last render is shown." : ".");
    }
    note.hidden = !note.textContent;
  }

  function drawBoxes() {
    boxes.textContent = "";
    elements().forEach((element, i) => {
      const box = make("div", "box");
      box.tabIndex = 0;
      box.setAttribute("role", "button");
      box.dataset.index = String(i);
      boxes.appendChild(box);
    });
    placeBoxes();
  }

  function placeBoxes() {
    boxes.querySelectorAll(".box").forEach((box) => placeBox(box, Number(box.dataset.index)));
  }

  function placeBox(box, index) {
    const element = elements()[index];
    // An element as last rendered shows the renderer's own lines (and shrunk size).
    const fit = stale(current) ? null : (slides[current].text_fits || []).find((f) => f.element_index === index);
    box.style.left = element.x + "%";
    box.style.top = element.y + "%";
    box.style.width = element.width + "%";
    box.style.fontSize = "calc(" + (fit ? fit.used_size : element.font_size) + "px * var(--scale, 1))";
    box.style.fontFamily = '"' + element.font_family + '", sans-serif';
    box.className = "box preset-" + element.style_preset + (index === selected ? " selected" : "");
    box.textContent = fit ? fit.lines.join("\n") : element.content || " ";
    box.setAttribute("aria-label", "Text " + (index + 1) + ": " + element.content);
    box.setAttribute("aria-pressed", index === selected ? "true" : "false");
  }

  function drawPanel() {
    const element = elements()[selected];
    $("el-fields").disabled = !element;
    $("el-none").hidden = Boolean(element);
    Object.keys(FIELDS).forEach((id) => { $(id).value = element ? String(element[FIELDS[id]]) : ""; });
    if (element) drawPosition(element);
    else $("el-pos").textContent = "";
    const background = (slides[current] || {}).image_url || "";
    document.querySelectorAll('#bg-list input[name="background"]').forEach((radio) => {
      radio.checked = radio.value === background;
    });
  }

  function drawPosition(element) {
    $("el-pos").textContent = "Centre at x " + round(element.x) + " %, y " + round(element.y) + " % of the slide.";
  }

  function findings(index) {
    const slide = slides[index] || {};
    return (slide.checks || []).concat((slide.warnings || []).map((w) => ({ severity: "warning", kind: w.code, message: w.message, element_index: w.element_index })));
  }

  function drawChecks() {
    const list = $("checks");
    list.textContent = "";
    const slide = slides[current] || {};
    const add = (text, kind) => list.appendChild(make("li", kind, text));
    if (slide.checks === null || slide.checks === undefined) {
      add("Not rendered yet: render to check readability and TikTok's safe zones.", "muted");
      return;
    }
    if (edited.has(current)) add("From the last render; your edits are not rendered yet.", "muted");
    const found = findings(current);
    if (!found.length) add("No problem found.", "ok");
    found.forEach((check) => {
      const who = check.element_index === null || check.element_index === undefined ? "" : "Text " + (check.element_index + 1) + ": ";
      add(check.severity + " · " + who + check.message, "check " + check.severity);
    });
  }

  function drawZones() {
    const layer = $("zones");
    layer.textContent = "";
    data.zones.forEach((zone) => {
      const box = layer.appendChild(make("div", "zone"));
      box.style.left = zone.x0 + "%";
      box.style.top = zone.y0 + "%";
      box.style.width = zone.x1 - zone.x0 + "%";
      box.style.height = zone.y1 - zone.y0 + "%";
      box.appendChild(make("span", "", zone.label));
    });
  }

  // ---- editing ---------------------------------------------------------------------------

  function selectSlide(index) {
    current = index;
    selected = -1;
    drawAll();
  }

  function select(index) {
    selected = index;
    placeBoxes();
    drawPanel();
  }

  function updateElement(field, value) {
    const element = elements()[selected];
    if (!element) return;
    element[field] = value;
    changed();
  }

  function moveTo(index, x, y) {
    const element = elements()[index];
    element.x = round(clamp(x, 0, 100));
    element.y = round(clamp(y, 0, 100));
    placeBox(boxes.querySelector('.box[data-index="' + index + '"]'), index);
    drawPosition(element);
  }

  function startDrag(event) {
    const box = event.target.closest(".box");
    if (!box || event.button > 0) return;
    event.preventDefault();
    const index = Number(box.dataset.index);
    select(index);
    box.focus();
    const element = elements()[index];
    const rect = stage.getBoundingClientRect();
    const start = { x: event.clientX, y: event.clientY, ex: element.x, ey: element.y };
    let moved = false;
    box.setPointerCapture(event.pointerId);
    box.classList.add("dragging");
    const move = (e) => {
      const dx = ((e.clientX - start.x) / rect.width) * 100;
      const dy = ((e.clientY - start.y) / rect.height) * 100;
      if (!moved && Math.abs(dx) + Math.abs(dy) < 0.3) return;
      moved = true;
      moveTo(index, start.ex + dx, start.ey + dy);
    };
    const end = () => {
      box.removeEventListener("pointermove", move);
      ["pointerup", "pointercancel"].forEach((name) => box.removeEventListener(name, end));
      box.classList.remove("dragging");
      if (moved) changed();
    };
    box.addEventListener("pointermove", move);
    ["pointerup", "pointercancel"].forEach((name) => box.addEventListener(name, end));
  }

  function keyMove(event) {
    const box = event.target.closest(".box");
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (!box) return;
    const index = Number(box.dataset.index);
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(index);
      $("el-text").focus();
      return;
    }
    if (!steps[event.key]) return;
    event.preventDefault();
    select(index);
    const step = event.shiftKey ? 5 : 1;
    const element = elements()[index];
    moveTo(index, element.x + steps[event.key][0] * step, element.y + steps[event.key][1] * step);
    box.focus();
    changed();
  }

  function addText() {
    // The slideshow's text defaults (advanced_settings), as the API would fill them in.
    const advanced = show.settings.advanced_settings;
    elements().push({
      content: "New text", x: 50, y: 50,
      width: advanced.text_width === "narrow" ? 55 : 70,
      font_size: typeof advanced.font_size === "number" ? advanced.font_size : 40,
      font_family: advanced.font_family,
      style_preset: advanced.text_preset,
    });
    selected = elements().length - 1;
    drawBoxes();
    drawPanel();
    changed();
    $("el-text").focus();
  }

  function removeText() {
    if (selected < 0) return;
    elements().splice(selected, 1);
    selected = -1;
    drawBoxes();
    drawPanel();
    changed();
  }

  function chooseBackground(url) {
    const image = data.images.find((item) => item.url === url);
    const slide = slides[current];
    slide.image_url = url;
    if (image && slide.slide_type !== "custom_image") slide.pack_id = image.pack_id;
    changed();
  }

  // ---- saving, rendering -----------------------------------------------------------------

  // A slide as PATCH takes it: no render outputs, no nulls (null counts as absent anyway).
  function compact(value) {
    if (Array.isArray(value)) return value.map(compact);
    if (value && typeof value === "object") {
      const out = {};
      Object.keys(value).forEach((key) => {
        if (value[key] !== null && !RENDER_FIELDS.includes(key)) out[key] = compact(value[key]);
      });
      return out;
    }
    return value;
  }

  function setBusy(on, message) {
    busy = on;
    ["save", "render"].forEach((id) => { $(id).disabled = on; });
    $("save").setAttribute("aria-busy", on ? "true" : "false");
    if (message) setState(message);
  }

  async function save(revision) {
    const title = $("title").value.trim();
    if (!dirty && title === show.title) {
      setState("Nothing to save.");
      return true;
    }
    const body = { revision: revision || show.revision, slides: compact(slides) };
    if (title && title !== show.title) body.title = title;
    setBusy(true, "Saving…");
    try {
      const saved = await sf.api("PATCH", "/slideshows/" + show.id, body, { quiet: true });
      $("conflict").hidden = true;
      load(saved);
      setState("Saved.");
      return true;
    } catch (e) {
      if (e.status === 409) {
        $("conflict").hidden = false;
        $("conflict").dataset.revision = String((e.data && e.data.revision) || "");
        setState("Not saved: changed elsewhere.");
        $("reload").focus();
      } else {
        setState("Not saved: " + e.message);
        sf.toast(e.message, "error");
      }
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function overwrite() {
    let revision = Number($("conflict").dataset.revision);
    if (!revision) revision = (await sf.api("GET", "/slideshows/" + show.id)).revision;
    dirty = true; // send the slides even if only the title differs
    await save(revision);
  }

  async function renderAll() {
    if ((dirty || $("title").value.trim() !== show.title) && !(await save())) return;
    setBusy(true, "Rendering " + slides.length + " slide" + (slides.length === 1 ? "" : "s") + "…");
    try {
      load(await sf.api("POST", "/slideshows/" + show.id + "/render", null, { quiet: true }));
      setState("Rendered.");
    } catch (e) {
      setState("Not rendered: " + e.message);
      sf.toast(e.message, "error");
    } finally {
      setBusy(false);
    }
  }

  // ---- posting ---------------------------------------------------------------------------

  async function post(event) {
    event.preventDefault();
    const form = event.target;
    const error = $("post-error");
    const done = $("post-done");
    error.hidden = true;
    done.hidden = true;
    const fail = (message) => {
      error.textContent = message;
      error.hidden = false;
    };
    const ids = Array.from(form.querySelectorAll('input[name="account"]:checked')).map((box) => box.value);
    if (dirty) return fail("Save and render your edits first: a post takes the rendered slides.");
    if (!show.rendered_image_urls.length) return fail("Render the slideshow first: a post takes the rendered slides.");
    if (ids.length < 1 || ids.length > 10) return fail("Choose 1 to 10 accounts.");
    const body = {
      caption: form.elements.caption.value,
      media: { type: "slideshow", urls: show.rendered_image_urls },
      accounts: ids.map((id) => ({ id: id })),
    };
    if (form.elements.when.value === "later") {
      const at = new Date(form.elements.at.value);
      if (!form.elements.at.value || isNaN(at.getTime())) return fail("Choose the date and time to post at.");
      body.scheduled_at = at.toISOString();
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const made = await sf.api("POST", "/posts", body, { quiet: true });
      done.textContent = (made.status === "scheduled" ? "Scheduled" : "Posting now") + " (post " + made.id + "). ";
      done.appendChild(make("a", "", "See it in the calendar")).href = "/app/calendar";
      (made.warnings || []).forEach((w) => done.appendChild(make("span", "muted", " " + w.message)));
      done.hidden = false;
    } catch (e) {
      fail(e.message);
    } finally {
      button.disabled = false;
    }
  }

  // ---- wiring ----------------------------------------------------------------------------

  function start() {
    root = $("editor");
    if (!root || root.dataset.ready) return;
    root.dataset.ready = "1";
    data = JSON.parse($("editor-data").textContent);
    stage = $("stage");
    boxes = $("boxes");
    const scale = () => stage.style.setProperty("--scale", String(stage.clientWidth / 1080));
    new ResizeObserver(scale).observe(stage);
    scale();
    drawZones();
    load(data.slideshow);

    $("strip").addEventListener("click", (e) => {
      const button = e.target.closest(".slide-thumb");
      if (button) selectSlide(Number(button.dataset.index));
    });
    boxes.addEventListener("pointerdown", startDrag);
    boxes.addEventListener("keydown", keyMove);
    stage.addEventListener("pointerdown", (e) => {
      if (!e.target.closest(".box")) select(-1);
    });
    const unshown = (e) => {
      const src = e.target.getAttribute("src");
      if (!src || blocked.has(src)) return;
      blocked.add(src);
      drawStrip();
      drawPicture();
    };
    $("slide-img").addEventListener("error", unshown);
    document.querySelectorAll("#strip img").forEach((img) => img.addEventListener("error", unshown));
    Object.keys(FIELDS).forEach((id) => {
      $(id).addEventListener("input", (e) => {
        const input = e.target;
        if (input.type !== "number") return updateElement(FIELDS[id], input.value);
        const v = Number(input.value); // only within the input's min/max: the API's limits
        if (input.value && v >= Number(input.min) && v <= Number(input.max)) updateElement(FIELDS[id], v);
      });
    });
    $("el-add").addEventListener("click", addText);
    $("el-remove").addEventListener("click", removeText);
    const list = $("bg-list");
    if (list) list.addEventListener("change", (e) => chooseBackground(e.target.value));
    $("title").addEventListener("input", () => setState("Unsaved changes"));
    $("zones-toggle").addEventListener("change", (e) => { $("zones").hidden = !e.target.checked; });
    $("save").addEventListener("click", () => save());
    $("render").addEventListener("click", renderAll);
    $("reload").addEventListener("click", () => {
      dirty = false;
      window.location.reload();
    });
    $("overwrite").addEventListener("click", overwrite);
    $("post-form").addEventListener("submit", post);
    $("post-at").addEventListener("input", () => { $("post-form").elements.when.value = "later"; });

    const unsaved = () => document.body.contains(root) && (dirty || busy || $("title").value.trim() !== show.title);
    window.addEventListener("beforeunload", (e) => {
      if (unsaved()) e.preventDefault();
    });
    document.addEventListener("htmx:confirm", (e) => {
      if (unsaved() && !window.confirm("Leave this slideshow? Your unsaved edits will be lost.")) e.preventDefault();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
