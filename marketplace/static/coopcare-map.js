/* Optional map on search results. Progressive enhancement: without JavaScript, or
   without Leaflet, the section stays hidden and the lists are the whole page. */
(function () {
  "use strict";

  function start() {
    var section = document.querySelector('[data-module="results-map"]');
    var element = document.getElementById("results-map");
    var data = document.getElementById("results-map-data");
    if (!section || !element || !data || !window.L) {
      return;
    }
    var points;
    try {
      points = JSON.parse(data.textContent);
    } catch (error) {
      return;
    }
    if (!points.length) {
      return;
    }
    section.hidden = false;
    var map = window.L.map(element, { scrollWheelZoom: false });
    window.L.tileLayer(element.getAttribute("data-tiles"), {
      maxZoom: 18,
      attribution: element.getAttribute("data-attribution")
    }).addTo(map);
    var colours = { place: "#0b0c0c", carers: "#00703c", provider: "#1d70b8" };
    var bounds = [];
    points.forEach(function (point) {
      var marker = window.L.circleMarker([point.lat, point.lon], {
        radius: point.kind === "place" ? 9 : 7,
        color: colours[point.kind] || "#0b0c0c",
        weight: 3,
        fillOpacity: 0.6
      }).addTo(map);
      var popup = document.createElement("p");
      if (point.url) {
        var link = document.createElement("a");
        link.href = point.url;
        link.textContent = point.label;
        popup.appendChild(link);
      } else {
        popup.textContent = point.label;
      }
      marker.bindPopup(popup);
      bounds.push([point.lat, point.lon]);
    });
    if (bounds.length === 1) {
      map.setView(bounds[0], 12);
    } else {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
