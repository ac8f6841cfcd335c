/* The report form of a river patrol (templates/problems/report.html): the monitoring section field is shown
   when the source is 河长巡河, and once the problem's place is known (the map or "use my location" fill the
   latitude and longitude inputs) the nearest section within MAX_METRES is selected — unless the reporter has
   chosen one — and named with its distance. Data: the json_script #river-sections,
   {sections: [{id, lat, lon, name}], source: "river_patrol", nearest: "…{name}…{km}…"}. Without JavaScript
   the field is a plain select. */
(function () {
  "use strict";

  var MAX_METRES = 3000;

  function distance(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180;
    var h = Math.pow(Math.sin((lat2 - lat1) * rad / 2), 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin((lon2 - lon1) * rad / 2), 2);
    return 2 * 6371000 * Math.asin(Math.sqrt(h));
  }

  function start() {
    var source = document.getElementById("river-sections");
    var select = document.getElementById("id_section");
    if (!source || !select) { return; }
    var data = JSON.parse(source.textContent);
    var kind = document.getElementById("id_source");
    var latitude = document.getElementById("report-latitude");
    var longitude = document.getElementById("report-longitude");
    var box = select.closest(".field") || select.parentNode;
    var hint = document.createElement("span");
    hint.className = "help";
    hint.setAttribute("data-nearest-section", "");
    hint.setAttribute("aria-live", "polite");
    box.appendChild(hint);
    var chosen = select.value !== "";

    function patrol() {
      return !kind || kind.value === data.source;
    }

    function toggle() {
      box.hidden = !patrol();
      if (box.hidden && select.value) {
        select.value = "";
        chosen = false;
      }
    }

    function nearest() {
      var lat = parseFloat(latitude && latitude.value);
      var lon = parseFloat(longitude && longitude.value);
      if (!isFinite(lat) || !isFinite(lon)) { return; }
      var best = null;
      data.sections.forEach(function (section) {
        var metres = distance(lat, lon, section.lat, section.lon);
        if (!best || metres < best.metres) { best = { section: section, metres: metres }; }
      });
      if (!best) { return; }
      hint.textContent = data.nearest.replace("{name}", best.section.name).replace("{km}", (best.metres / 1000).toFixed(1));
      if (!chosen && patrol() && best.metres <= MAX_METRES) {
        select.value = String(best.section.id);
        select.setAttribute("data-auto-selected", "true");
      }
    }

    select.addEventListener("change", function () {
      chosen = select.value !== "";
      select.removeAttribute("data-auto-selected");
    });
    if (kind) { kind.addEventListener("change", function () { toggle(); nearest(); }); }
    [latitude, longitude].forEach(function (input) {
      if (input) { input.addEventListener("change", nearest); }
    });
    toggle();
    nearest();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
