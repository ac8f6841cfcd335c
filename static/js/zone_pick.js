/* Picking a problem's location on the zone's map, for a report form (templates/problems/_zone_pick.html).
   Needs zone_map.js (window.ScienceCityZone) loaded before it.

   An element [data-zone-pick] with
     data-geojson-url                       the areas' GeoJSON (same origin),
     data-latitude-input, data-longitude-input   ids of the form's inputs that receive the position,
     data-text-outside, data-text-locating, data-text-no-location   texts in the page's language,
   holding [data-zone-chart] (the map), [data-zone-area] (where the area's name is written) and a button
   [data-locate] ("use my location", shown only where the browser can locate).
   A tap inside the zone sets the inputs and names the area; a tap outside it changes nothing. The browser's
   position (WGS 84, like the areas) fills the inputs even outside the zone, which the server then judges.
   Inputs already filled (a form shown again with its errors) put the marker where they say. */
(function () {
  "use strict";

  var DECIMALS = 6;  // about 0.1 m

  function setup(root) {
    var Zone = window.ScienceCityZone;
    var chartElement = root.querySelector("[data-zone-chart]");
    var latitudeInput = document.getElementById(root.dataset.latitudeInput || "");
    var longitudeInput = document.getElementById(root.dataset.longitudeInput || "");
    var output = root.querySelector("[data-zone-area]");
    var locate = root.querySelector("[data-locate]");
    if (!Zone || !chartElement || !latitudeInput || !longitudeInput) { return; }

    var chart = null;
    var zone = null;

    function say(text) {
      if (output) { output.textContent = text || ""; }
    }

    function mark(longitude, latitude) {
      if (!chart) { return; }
      chart.setOption({ series: [{ id: "picked", data: [[longitude, latitude]] }] });
    }

    function describe(longitude, latitude) {
      var area = zone ? zone.areaAt(longitude, latitude) : null;
      say(area ? zone.labelOf(area.code) : root.dataset.textOutside);
      return area;
    }

    function fill(longitude, latitude) {
      latitudeInput.value = latitude.toFixed(DECIMALS);
      longitudeInput.value = longitude.toFixed(DECIMALS);
      [latitudeInput, longitudeInput].forEach(function (input) {
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      mark(longitude, latitude);
      describe(longitude, latitude);
    }

    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        locate.disabled = true;
        say(root.dataset.textLocating);
        navigator.geolocation.getCurrentPosition(function (position) {
          locate.disabled = false;
          fill(position.coords.longitude, position.coords.latitude);
        }, function () {
          locate.disabled = false;
          say(root.dataset.textNoLocation);
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }

    Zone.loadZone(root.dataset.geojsonUrl).then(function (loaded) {
      zone = loaded;
      chart = Zone.drawZone(chartElement, zone, {
        series: [{
          id: "picked",
          type: "scatter",
          coordinateSystem: "geo",
          symbol: "pin",
          symbolSize: 30,
          symbolOffset: [0, "-45%"],
          itemStyle: { color: "#b4232a" },
          silent: true,
          z: 5,
          data: []
        }]
      });
      chart.getZr().on("click", function (event) {
        var position = chart.convertFromPixel({ geoIndex: 0 }, [event.offsetX, event.offsetY]);
        if (!position || !isFinite(position[0]) || !isFinite(position[1])) { return; }
        if (zone.areaAt(position[0], position[1])) {
          fill(position[0], position[1]);
        } else {
          say(root.dataset.textOutside);
        }
      });
      var latitude = parseFloat(latitudeInput.value);
      var longitude = parseFloat(longitudeInput.value);
      if (isFinite(latitude) && isFinite(longitude)) {
        mark(longitude, latitude);
        describe(longitude, latitude);
      }
      root.dataset.zoneReady = "true";
    }).catch(function () { Zone.fail(root, chartElement); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-zone-pick]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
