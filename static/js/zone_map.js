/* The zone's map, drawn by the vendored ECharts from the areas' GeoJSON: no tile server, no request but the
   same-origin GeoJSON. Included by templates/problems/_zone_map.html; zone_pick.js draws its map with the
   helpers exported here as window.ScienceCityZone.

   A map is an element [data-zone-map] with
     data-geojson-url  the areas (a FeatureCollection whose features have code, name, name_en, kind),
     data-points       optional: id of a json_script with [{id, lat, lon, status, status_label, title, url}],
     data-statuses     optional: id of a json_script with [{code, label}], the statuses in their order (colours
                       and legend keep that order on every page; otherwise the order the points bring),
     data-hotspots     optional: id of a json_script with [{code, count}], which shades the areas,
   and texts in the page's language in data-text-count, data-text-failed.
   Areas are shaded by their count; points are coloured by status, with a legend that hides a status; a point
   opens its url; an area dispatches the DOM event "zone-area-selected" (bubbling, detail {code, name}). */
(function () {
  "use strict";

  if (window.ScienceCityZone) { return; }  // both includes on one page load this file twice

  // Colour-blind-safe (Okabe–Ito) for the statuses, in order; the areas' shading is a light-to-dark purple
  // ramp, a hue none of the points has, so that a point stands out on the busiest area.
  var STATUS_COLOURS = ["#d55e00", "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#f0e442", "#000000"];
  var SHADES = ["#f7f6fb", "#dadaeb", "#bcbddc", "#9e9ac8", "#6a51a3"];
  var MAP_PREFIX = "sciencecity-zone:";
  var loaded = {};  // url → Promise of the zone

  function english() {
    return !/^zh/i.test(document.documentElement.lang || "zh");
  }

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (error) {
      return false;
    }
  }

  function jsonOf(id) {
    var element = id && document.getElementById(id);
    if (!element) { return null; }
    try {
      return JSON.parse(element.textContent);
    } catch (error) {
      return null;
    }
  }

  // Ray casting over every ring (even-odd, so holes count), for a GeoJSON Polygon or MultiPolygon.
  function ringHas(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  function geometryHas(geometry, x, y) {
    if (!geometry) { return false; }
    var polygons = geometry.type === "MultiPolygon" ? geometry.coordinates
      : geometry.type === "Polygon" ? [geometry.coordinates] : [];
    return polygons.some(function (rings) {
      return rings.reduce(function (inside, ring) { return ringHas(ring, x, y) ? !inside : inside; }, false);
    });
  }

  function eachPosition(geometry, visit) {
    (function walk(value) {
      if (typeof value[0] === "number") { visit(value); } else { value.forEach(walk); }
    })(geometry.coordinates);
  }

  // The areas of a GeoJSON, registered with ECharts once per URL (regions named by their code).
  function makeZone(url, geojson) {
    var features = (geojson.features || []).filter(function (feature) {
      return feature && feature.geometry && feature.properties && feature.properties.code;
    });
    var bounds = [Infinity, Infinity, -Infinity, -Infinity];
    features.forEach(function (feature) {
      eachPosition(feature.geometry, function (position) {
        bounds = [Math.min(bounds[0], position[0]), Math.min(bounds[1], position[1]),
          Math.max(bounds[2], position[0]), Math.max(bounds[3], position[1])];
      });
    });
    var byCode = {};
    features.forEach(function (feature) { byCode[feature.properties.code] = feature.properties; });
    var name = MAP_PREFIX + url;
    window.echarts.registerMap(name, { type: "FeatureCollection", features: features });
    return {
      map: name,
      features: features,
      bounds: bounds,
      codes: features.map(function (feature) { return feature.properties.code; }),
      labelOf: function (code) {
        var area = byCode[code];
        if (!area) { return code || ""; }
        return english() && area.name_en ? area.name_en : area.name;
      },
      areaAt: function (longitude, latitude) {
        for (var i = 0; i < features.length; i++) {
          if (geometryHas(features[i].geometry, longitude, latitude)) { return features[i].properties; }
        }
        return null;
      }
    };
  }

  function loadZone(url) {
    if (!url || !sameOrigin(url) || typeof window.echarts === "undefined" || !window.fetch) {
      return Promise.reject(new Error("zone map unavailable"));
    }
    if (!loaded[url]) {
      loaded[url] = window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("GeoJSON " + response.status); }
          return response.json();
        })
        .then(function (geojson) { return makeZone(url, geojson); });
      loaded[url].catch(function () { delete loaded[url]; });
    }
    return loaded[url];
  }

  function aspectScaleOf(zone) {
    return Math.cos((zone.bounds[1] + zone.bounds[3]) / 2 * Math.PI / 180);
  }

  // The geo component both maps share: the areas with their names, east–west scaled for the latitude.
  function geoOption(zone) {
    return {
      map: zone.map,
      nameProperty: "code",
      roam: false,  // a drag on a phone scrolls the page, never the map
      aspectScale: aspectScaleOf(zone),
      label: {
        show: true,
        fontSize: 11,
        width: 64,  // "Xianglushan Subdistrict" on two lines; a Chinese name of five characters on one
        overflow: "break",
        lineHeight: 13,
        color: "#1f2933",
        textBorderColor: "#fff",  // legible on the darkest shade too
        textBorderWidth: 2,
        formatter: function (params) { return zone.labelOf(params.name); }
      },
      itemStyle: { areaColor: SHADES[0], borderColor: "#8292a2", borderWidth: 1 },
      emphasis: { label: { color: "#1f2933" }, itemStyle: { color: "#d9e2ec", areaColor: "#d9e2ec" } },
      select: { disabled: true }
    };
  }

  // The largest box of the zone's proportions inside the chart less its margins (legend, scale), centred.
  // ECharts stretches a map given both left/right and top/bottom, so the box is computed here, on every resize.
  function boxOf(chart, zone, margins) {
    var room = [Math.max(chart.getWidth() - margins.left - margins.right, 1),
      Math.max(chart.getHeight() - margins.top - margins.bottom, 1)];
    var ratio = (zone.bounds[2] - zone.bounds[0]) * aspectScaleOf(zone) / Math.max(zone.bounds[3] - zone.bounds[1], 1e-9);
    var width = Math.min(room[0], room[1] * ratio);
    var height = width / ratio;
    return {
      left: margins.left + (room[0] - width) / 2,
      top: margins.top + (room[1] - height) / 2,
      width: width,
      height: height
    };
  }

  // A chart of the zone on `element`, kept fitted to it as it resizes (a phone's rotation, a panel that opens).
  // `option.geo` adds to the shared geo component; `margins` in pixels leave room for a legend or a scale.
  function drawZone(element, zone, option, margins) {
    var room = Object.assign({ top: 8, right: 8, bottom: 8, left: 8 }, margins || {});
    var chart = window.echarts.getInstanceByDom(element) || window.echarts.init(element);
    var geo = Object.assign(geoOption(zone), option.geo || {}, boxOf(chart, zone, room));
    chart.setOption(Object.assign({ animation: false }, option, { geo: geo }));
    var refit = function () {
      chart.resize();
      chart.setOption({ geo: boxOf(chart, zone, room) });
    };
    if (window.ResizeObserver) {
      new window.ResizeObserver(refit).observe(element);
    } else {
      window.addEventListener("resize", refit);
    }
    return chart;
  }

  function fail(root, chartElement) {
    chartElement.hidden = true;
    var message = root.querySelector("[data-zone-failed]");
    if (message) { message.hidden = false; }
  }

  function statusesOf(points, listed) {
    var order = [];
    var labels = {};
    (listed || []).forEach(function (status) {
      if (status && order.indexOf(status.code) < 0) { order.push(status.code); labels[status.code] = status.label || status.code; }
    });
    points.forEach(function (point) {
      if (order.indexOf(point.status) < 0) { order.push(point.status); }
      if (!labels[point.status]) { labels[point.status] = point.status_label || point.status; }
    });
    return order.map(function (code, i) {
      return { code: code, label: labels[code], colour: STATUS_COLOURS[i % STATUS_COLOURS.length] };
    });
  }

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  function drawMap(root) {
    var chartElement = root.querySelector("[data-zone-chart]") || root;
    var points = (jsonOf(root.dataset.points) || []).filter(function (point) {
      return point && isFinite(point.lat) && isFinite(point.lon) && point.lat !== null && point.lon !== null;
    });
    var hotspots = jsonOf(root.dataset.hotspots);
    var countText = root.dataset.textCount || "";

    loadZone(root.dataset.geojsonUrl).then(function (zone) {
      var statuses = statusesOf(points, jsonOf(root.dataset.statuses));
      var series = [];
      var counts = {};
      var largest = 0;
      if (hotspots) {
        hotspots.forEach(function (row) {
          counts[row.code] = Number(row.count) || 0;
          largest = Math.max(largest, counts[row.code]);
        });
        series.push({
          type: "map",
          geoIndex: 0,
          name: countText,
          selectedMode: false,  // ECharts' default would paint a clicked area yellow
          emphasis: { disabled: true },
          data: zone.codes.map(function (code) { return { name: code, value: counts[code] || 0 }; })
        });
      }
      statuses.forEach(function (status) {
        var rows = points.filter(function (point) { return point.status === status.code; });
        series.push({
          type: "scatter",
          coordinateSystem: "geo",
          name: status.label,
          data: rows.map(function (point) {
            return { value: [Number(point.lon), Number(point.lat)], point: point };
          }),
          large: rows.length > 2000,
          symbolSize: 10,
          itemStyle: { color: status.colour, borderColor: "#fff", borderWidth: 1 },
          emphasis: { scale: 1.6 },
          cursor: "pointer",
          zlevel: 1
        });
      });

      var chart = drawZone(chartElement, zone, {
        // a hover colour would hide an area's shade (and stay after a tap on a phone): the tooltip tells
        geo: hotspots ? { emphasis: { disabled: true } } : {},
        tooltip: {
          trigger: "item",
          confine: true,
          formatter: function (params) {
            if (params.seriesType === "scatter" && params.data && params.data.point) {
              return escapeHtml(params.data.point.title) + "<br>" + escapeHtml(params.seriesName);
            }
            var line = escapeHtml(zone.labelOf(params.name));
            return hotspots ? line + "<br>" + escapeHtml(countText) + ": " + (counts[params.name] || 0) : line;
          }
        },
        legend: statuses.length ? {
          data: statuses.map(function (status) { return status.label; }),
          top: 0,
          left: "center",
          type: "scroll",
          itemWidth: 12,
          itemHeight: 12
        } : undefined,
        visualMap: hotspots ? {
          type: "continuous",
          seriesIndex: 0,
          min: 0,
          max: Math.max(largest, 1),
          calculable: false,
          orient: "horizontal",
          left: "center",
          bottom: 0,
          itemWidth: 12,
          itemHeight: 120,
          text: [String(Math.max(largest, 1)), "0"],
          inRange: { color: SHADES }
        } : undefined,
        series: series
      }, { top: statuses.length ? 36 : 8, bottom: hotspots ? 44 : 8 });

      chart.on("click", function (params) {
        if (params.seriesType === "scatter") {
          var url = params.data && params.data.point && params.data.point.url;
          if (url && sameOrigin(url)) { window.location.assign(url); }
          return;
        }
        if (params.componentType === "geo" || params.seriesType === "map") {
          root.dispatchEvent(new window.CustomEvent("zone-area-selected", {
            bubbles: true,
            detail: { code: params.name, name: zone.labelOf(params.name) }
          }));
        }
      });
      root.dataset.zoneReady = "true";
    }).catch(function () { fail(root, chartElement); });
  }

  window.ScienceCityZone = {
    loadZone: loadZone,
    drawZone: drawZone,
    fail: fail,
    sameOrigin: sameOrigin
  };

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-zone-map]"), drawMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
