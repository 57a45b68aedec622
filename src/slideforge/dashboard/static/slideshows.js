// slideforge dashboard: the "New slideshow" form of /app/slideshows.
// It calls POST /slideshows/generate (contract §5.1) and opens the editor of the new
// slideshow. "I write the texts" sends skip_ai with slide_config.slide_texts (one slide per
// line); "AI writes them" sends the prompt (the API refuses it, with its reason, when the
// server has no AI provider).
(function () {
  "use strict";

  function mode(form) {
    const checked = form.querySelector('input[name="mode"]:checked');
    return checked ? checked.value : "own";
  }

  function showMode(form) {
    const current = mode(form);
    form.querySelectorAll("[data-mode]").forEach((part) => {
      part.hidden = part.getAttribute("data-mode") !== current;
    });
  }

  function body(form) {
    const field = (name) => form.elements[name].value.trim();
    const data = {
      aspect_ratio: field("aspect_ratio"),
      advanced_settings: { text_preset: field("text_preset") },
    };
    if (field("pack_id")) data.pack_id = field("pack_id");
    if (field("title")) data.title = field("title");
    if (mode(form) === "ai") {
      data.prompt = field("prompt");
      data.slide_count = Number(field("slide_count")) || 5;
      return data;
    }
    const lines = form.elements.texts.value.split("\n").map((l) => l.trim()).filter(Boolean);
    const texts = {};
    lines.forEach((line, i) => { texts[String(i)] = line; });
    data.skip_ai = true;
    data.slide_count = Math.max(lines.length, 1);
    data.slide_config = { total_slides: data.slide_count, slide_texts: texts };
    return data;
  }

  function start() {
    // A cover the page may not show (a pack image on another site): say so instead.
    document.querySelectorAll(".slideshow-card .cover img").forEach((img) => {
      img.addEventListener("error", () => img.parentElement.classList.add("unshown"));
      if (img.complete && img.naturalWidth === 0) img.parentElement.classList.add("unshown");
    });
    const form = document.getElementById("generate-form");
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    const error = document.getElementById("generate-error");
    showMode(form);
    form.addEventListener("change", (event) => {
      if (event.target.name === "mode") showMode(form);
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      if (mode(form) === "own" && form.elements.texts.value.trim().split("\n").filter((l) => l.trim()).length > 10) {
        error.textContent = "At most 10 slides: write at most 10 lines.";
        error.hidden = false;
        return;
      }
      const button = form.querySelector('button[type="submit"]');
      button.setAttribute("aria-busy", "true");
      button.disabled = true;
      try {
        const made = await sf.api("POST", "/slideshows/generate", body(form), { quiet: true });
        window.location.href = "/app/slideshows/" + encodeURIComponent(made.id);
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        button.disabled = false;
        button.removeAttribute("aria-busy");
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
