// The calendar page (/app/calendar). A scheduled post is dragged to another day (month) or
// hour (week), or moved with its Move… button (a dialog with a date and time, for the
// keyboard); Retry and Delete act on one post. Every change goes through sf.api (the Partner
// API, with the session cookie and CSRF header): a refused change shows the API's own message
// and the card goes back to where it was.
(function () {
  "use strict";
  if (window.sfCalendar) return;

  function calendar() {
    return document.getElementById("calendar");
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  // The offset of `zone` at `instant` (ms since epoch): its wall clock minus UTC.
  function offsetMs(instant, zone) {
    const parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(instant))
      .forEach((p) => {
        parts[p.type] = p.value;
      });
    const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
    return wall - Math.floor(instant / 1000) * 1000;
  }

  // "2026-12-07T09:30" on the wall clock of `zone` (an IANA name) -> "2026-12-07T08:30:00Z".
  function toUtc(local, zone) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local || "");
    if (!m) return null;
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    let instant = wall;
    if (zone && zone !== "UTC") {
      instant = wall - offsetMs(wall, zone);
      instant = wall - offsetMs(instant, zone); // once more: the offset where it lands (DST)
    }
    return new Date(instant).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function zone() {
    const root = calendar();
    return (root && root.dataset.tz) || "UTC";
  }

  // The drop target that shows posts of `day` at `time` ("HH:MM"), if it is on the page.
  function cellFor(day, time) {
    const root = calendar();
    if (!root) return null;
    if (root.dataset.view === "week") {
      return root.querySelector('.slot[data-day="' + day + '"][data-hour="' + Number(time.slice(0, 2)) + '"]');
    }
    return root.querySelector('.day[data-day="' + day + '"]');
  }

  function setTime(card, day, time) {
    card.dataset.day = day;
    card.dataset.time = time;
    const label = card.querySelector("time");
    if (label) label.textContent = time;
  }

  function markBusy(cell) {
    if (!cell) return;
    cell.classList.toggle("busy", !!cell.querySelector(".post"));
    const day = cell.closest(".day");
    if (day) day.classList.toggle("idle", !day.querySelector(".post"));
  }

  // Put the card in its cell, in time order; false when that cell is not on the page.
  function place(card, day, time) {
    const from = card.parentNode;
    setTime(card, day, time);
    const cell = cellFor(day, time);
    if (!cell) {
      card.remove();
      markBusy(from);
      return false;
    }
    const later = Array.from(cell.querySelectorAll(".post")).find(
      (other) => other !== card && other.dataset.time > time
    );
    cell.insertBefore(card, later || null);
    markBusy(from);
    markBusy(cell);
    return true;
  }

  async function move(card, day, time) {
    const at = toUtc(day + "T" + time, zone());
    if (!at) return false;
    const home = { parent: card.parentNode, next: card.nextSibling, day: card.dataset.day, time: card.dataset.time };
    const shown = place(card, day, time);
    card.setAttribute("aria-busy", "true");
    try {
      const data = await window.sf.api("PATCH", "/posts/" + card.dataset.id, { scheduled_at: at });
      if (data && data.scheduled_at) card.dataset.at = data.scheduled_at;
      const where = day + " " + time + " (" + zone() + ")";
      window.sf.toast("Moved to " + where + (shown ? "" : ", outside this view"), "ok");
      ((data && data.warnings) || []).forEach((w) => window.sf.toast(w.message, "info"));
      return true;
    } catch (error) {
      // sf.api showed the API's message; the card goes back.
      setTime(card, home.day, home.time);
      const before = home.next && home.next.parentNode === home.parent ? home.next : null;
      home.parent.insertBefore(card, before);
      markBusy(home.parent);
      markBusy(cellFor(day, time));
      return false;
    } finally {
      card.removeAttribute("aria-busy");
    }
  }

  // -- drag and drop -------------------------------------------------------------------------

  let dragged = null;

  function dropCell(event) {
    const target = event.target;
    return target && target.closest ? target.closest("#calendar [data-drop]") : null;
  }

  function clearOver() {
    document.querySelectorAll("#calendar .over").forEach((el) => el.classList.remove("over"));
  }

  document.addEventListener("dragstart", (event) => {
    const target = event.target;
    const card = target && target.closest ? target.closest('#calendar .post[draggable="true"]') : null;
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.id);
    card.classList.add("dragging");
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearOver();
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const cell = dropCell(event);
    if (!cell) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!cell.classList.contains("over")) {
      clearOver();
      cell.classList.add("over");
    }
  });

  document.addEventListener("drop", (event) => {
    const card = dragged;
    const cell = dropCell(event);
    if (!card || !cell) return;
    event.preventDefault();
    dragged = null;
    card.classList.remove("dragging");
    clearOver();
    const day = cell.dataset.day;
    let time = card.dataset.time;
    if (cell.dataset.hour !== undefined) time = pad(cell.dataset.hour) + time.slice(2);
    if (day === card.dataset.day && time === card.dataset.time) return;
    move(card, day, time);
  });

  // -- buttons -------------------------------------------------------------------------------

  let moving = null;

  async function retry(card, button) {
    button.setAttribute("aria-busy", "true");
    try {
      const data = await window.sf.api("POST", "/posts/retry", { post_ids: [card.dataset.id] });
      if (data && data.retried) {
        window.sf.toast("Retry queued", "ok");
        window.location.reload();
        return;
      }
      const errors = (data && data.errors) || {};
      window.sf.toast(errors[card.dataset.id] || "Nothing was retried.", "error");
    } catch (error) {
      /* sf.api showed why */
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  async function remove(card, button) {
    if (!window.confirm("Delete this post? Its scheduled publishing is canceled.")) return;
    button.setAttribute("aria-busy", "true");
    try {
      const data = await window.sf.api("POST", "/posts/delete", { post_ids: [card.dataset.id] });
      if (data && (data.deletedIds || []).indexOf(card.dataset.id) >= 0) {
        const cell = card.parentNode;
        card.remove();
        markBusy(cell);
        window.sf.toast("Post deleted", "ok");
        return;
      }
      const blocked = ((data && data.blockedStatuses) || [])[0];
      window.sf.toast(
        blocked ? "This post is " + blocked.status + ": it cannot be deleted." : "The post was not found.",
        "error"
      );
    } catch (error) {
      /* sf.api showed why */
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  function openMove(card) {
    const dialog = document.getElementById("move-dialog");
    const input = document.getElementById("move-at");
    if (!dialog || !input) return;
    moving = card;
    input.value = card.dataset.day + "T" + card.dataset.time;
    dialog.showModal();
    input.focus();
  }

  function closeMove() {
    const dialog = document.getElementById("move-dialog");
    if (dialog && dialog.open) dialog.close();
  }

  document.addEventListener("click", (event) => {
    const target = event.target;
    const button = target && target.closest ? target.closest("#calendar [data-action]") : null;
    if (!button) return;
    const action = button.getAttribute("data-action");
    const card = button.closest(".post");
    if (action === "retry" && card) retry(card, button);
    else if (action === "delete" && card) remove(card, button);
    else if (action === "move" && card) openMove(card);
    else if (action === "close-move") closeMove();
    else if (action === "my-tz") {
      const input = document.getElementById("f-tz");
      const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (input && mine) {
        input.value = mine;
        input.form.requestSubmit();
      }
    }
  });

  document.addEventListener("submit", async (event) => {
    if (!event.target || event.target.id !== "move-form") return;
    event.preventDefault();
    const card = moving;
    const value = document.getElementById("move-at").value;
    if (!card || !value) return;
    const [day, time] = value.split("T");
    closeMove();
    const moved = await move(card, day, time.slice(0, 5));
    const back = card.isConnected ? card.querySelector('[data-action="move"]') : null;
    if (back) back.focus();
    if (!moved && card.isConnected) card.focus();
  });

  document.addEventListener("close", (event) => {
    if (event.target && event.target.id === "move-dialog" && moving && moving.isConnected) {
      const back = moving.querySelector('[data-action="move"]');
      if (back && document.activeElement === document.body) back.focus();
    }
  }, true);

  window.sfCalendar = { toUtc: toUtc };
})();
