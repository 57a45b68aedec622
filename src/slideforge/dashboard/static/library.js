// Packs & files: create a pack, change a pack's settings, and add images to a pack by
// uploading them through the API's presigned flow (POST /files → PUT the bytes to its
// uploadUrl, with a progress bar per file → POST /packs/{id}/images with the file's url).
// Every refusal shown is the API's own message.
(function () {
  "use strict";
  if (window.sfLibrary) return; // loaded once, even when htmx swaps pages in
  const APP = "/app";

  function text(tag, className, content) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (content !== undefined) element.textContent = content;
    return element;
  }

  // ------------------------------------------------------------------ pack forms

  async function createPack(form) {
    const button = form.querySelector('button[type="submit"]');
    const body = {
      name: form.elements.name.value,
      is_public: form.elements.is_public.checked,
    };
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    try {
      const pack = await window.sf.api("POST", "/packs", body);
      window.location.href = APP + "/library/packs/" + encodeURIComponent(pack.id);
    } catch (e) {
      /* the toast says why */
    } finally {
      button.removeAttribute("aria-busy");
      button.disabled = false;
    }
  }

  async function savePack(form) {
    const button = form.querySelector('button[type="submit"]');
    const body = {
      name: form.elements.name.value,
      is_public: form.elements.is_public.checked,
    };
    button.setAttribute("aria-busy", "true");
    try {
      await window.sf.api("PATCH", "/packs/" + encodeURIComponent(form.dataset.pack), body);
      window.sf.toast("Pack saved.", "ok");
      window.location.reload();
    } catch (e) {
      /* the toast says why */
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.id === "new-pack") {
      event.preventDefault();
      createPack(form);
    } else if (form.id === "pack-settings") {
      event.preventDefault();
      savePack(form);
    }
  });

  // ------------------------------------------------------------------ the images list

  function refreshImages() {
    const section = document.getElementById("pack-images");
    const pack = (section && section.dataset.pack) || "";
    if (!section || !pack || !window.htmx) return Promise.resolve();
    return window.htmx.ajax("GET", APP + "/library/packs/" + encodeURIComponent(pack) + "/images", {
      target: "#pack-images",
      swap: "outerHTML",
    });
  }

  // A removed image: app.js made the DELETE call (data-then="stay"); show the new list.
  document.addEventListener("sf:done", (event) => {
    if (event.target.closest && event.target.closest("[data-refresh-images]")) refreshImages();
  });

  // ------------------------------------------------------------------ uploads

  function uploadTarget(url) {
    // The upload receiver is this same server: keep the PUT on the page's origin (the
    // Content-Security-Policy allows connections to 'self' only).
    const parsed = new URL(url, window.location.href);
    if (parsed.origin === window.location.origin) return parsed.href;
    return window.location.origin + parsed.pathname + parsed.search;
  }

  function putBytes(url, file, contentType, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", uploadTarget(url));
      xhr.setRequestHeader("Content-Type", contentType);
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => {
        if (xhr.status < 400) {
          resolve();
          return;
        }
        let message = "The upload was refused (" + xhr.status + ").";
        try {
          const envelope = JSON.parse(xhr.responseText);
          if (envelope && envelope.message) message = envelope.message;
        } catch (e) {
          /* keep the status message */
        }
        reject(new Error(message));
      });
      xhr.addEventListener("error", () => reject(new Error("The upload failed: check your connection and retry.")));
      xhr.addEventListener("abort", () => reject(new Error("The upload was cancelled.")));
      xhr.send(file);
    });
  }

  function uploadRow(file) {
    const row = text("li", "upload");
    const name = text("span", "upload-name", file.name);
    const bar = text("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    const status = text("span", "upload-status", "Waiting…");
    row.append(name, bar, status);
    return { row: row, bar: bar, status: status };
  }

  async function uploadOne(pack, file, view) {
    const contentType = file.type || "application/octet-stream";
    view.status.textContent = "Starting…";
    const slot = await window.sf.api(
      "POST",
      "/files",
      { contentType: contentType, filename: (file.name || "image").slice(0, 255), size: file.size },
      { quiet: true }
    );
    // The bar shows the percentage; the (live) status text changes per step only, so a
    // screen reader is not told every percent.
    view.status.textContent = "Uploading…";
    await putBytes(slot.uploadUrl, file, contentType, (done) => {
      view.bar.value = Math.min(Math.round(done * 100), 99); // 100 once the server accepted it
    });
    view.bar.value = 100;
    view.status.textContent = "Uploaded; adding to the pack…";
    await window.sf.api(
      "POST",
      "/packs/" + encodeURIComponent(pack) + "/images",
      { image_url: slot.url, file_name: (file.name || "image").slice(0, 255) },
      { quiet: true }
    );
    view.status.textContent = "Added to the pack";
    view.row.classList.add("done");
  }

  let queue = Promise.resolve();

  function upload(zone, files) {
    const list = document.getElementById("uploads");
    const pack = zone.dataset.pack;
    const views = Array.from(files).map((file) => {
      const view = uploadRow(file);
      list.appendChild(view.row);
      return { file: file, view: view };
    });
    // One file after the other, in the order chosen (the pack keeps images oldest first).
    queue = queue.then(async () => {
      let added = 0;
      for (const item of views) {
        try {
          await uploadOne(pack, item.file, item.view);
          added += 1;
        } catch (error) {
          item.view.row.classList.add("failed");
          item.view.bar.value = 0;
          item.view.status.textContent = item.file.name + ": " + error.message;
          item.view.status.classList.add("error");
        }
      }
      if (added) await refreshImages();
    });
  }

  function bindDropzone(zone) {
    if (zone.dataset.ready) return;
    zone.dataset.ready = "1";
    const input = zone.querySelector('input[type="file"]');
    input.addEventListener("change", () => {
      if (input.files && input.files.length) upload(zone, input.files);
      input.value = "";
    });
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      if (event.dataTransfer && event.dataTransfer.files.length) upload(zone, event.dataTransfer.files);
    });
  }

  function init(root) {
    const scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("#dropzone").forEach(bindDropzone);
    if (scope !== document && scope.id === "dropzone") bindDropzone(scope);
  }

  init(document);
  document.addEventListener("htmx:load", (event) => init(event.detail.elt));
  window.sfLibrary = { refreshImages: refreshImages };
})();
