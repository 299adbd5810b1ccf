// Embudo dashboard: small enhancements over pages that work without them.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;

  // Sortable tables: a header button sorts by its column, numbers by their raw value.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th").forEach(function (th, index) {
      var button = th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index].dataset.v, y = b.cells[index].dataset.v;
          var nx = parseFloat(x), ny = parseFloat(y);
          var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });

  // Date presets fill the range fields.
  var preset = document.getElementById("preset");
  if (preset) {
    preset.addEventListener("change", function () {
      var option = preset.options[preset.selectedIndex];
      if (option.dataset.from) {
        document.getElementById("from").value = option.dataset.from;
        document.getElementById("to").value = option.dataset.to;
      }
    });
  }

  // A slow report: say so while the next page loads.
  document.querySelectorAll("form.filters").forEach(function (form) {
    form.addEventListener("submit", function () { document.querySelector("main").classList.add("loading"); });
  });

  // The pipeline board: drag a card to another stage (pointer events, so mouse, touch and
  // pen all work); each card's own form does the same from the keyboard.
  var dragged = null, over = null;
  function stageAt(x, y) {
    var element = document.elementFromPoint(x, y);
    return element && element.closest(".stage");
  }
  document.querySelectorAll(".card[data-deal]").forEach(function (card) {
    card.addEventListener("pointerdown", function (event) {
      if (event.target.closest("form, a")) return;
      dragged = card;
      card.classList.add("dragging");
      card.setPointerCapture(event.pointerId);
    });
    card.addEventListener("pointermove", function (event) {
      if (dragged !== card) return;
      var stage = stageAt(event.clientX, event.clientY);
      if (over && over !== stage) over.classList.remove("over");
      over = stage;
      if (over) over.classList.add("over");
    });
    card.addEventListener("pointerup", function (event) {
      if (dragged !== card) return;
      card.classList.remove("dragging");
      var stage = stageAt(event.clientX, event.clientY);
      if (over) over.classList.remove("over");
      dragged = null; over = null;
      if (!stage || stage.contains(card)) return;
      move(card, stage);
    });
  });
  function move(card, stage) {
    var board = document.querySelector(".board");
    fetch("/api/v1/deals/" + card.dataset.deal, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ stage_id: Number(stage.dataset.stage) })
    }).then(function (response) {
      if (!response.ok) { return response.json().then(function (e) { throw new Error(e.error.message); }); }
      stage.querySelector(".cards").appendChild(card);
      card.querySelector("select").value = stage.dataset.stage;
      board.dataset.moved = card.dataset.deal;
      var status = document.getElementById("board-status");
      if (status) status.textContent = status.dataset.moved + " " + card.querySelector(".name").textContent;
    }).catch(function (error) { alert(error.message); });
  }
})();
