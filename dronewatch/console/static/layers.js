/* dronewatch console: the map's slower layers. The relief of the station's own DEM,
   the hotspots every patrol found (one layer per patrol, so a hazard's history is read
   at a glance) and the route each flying drone was sent on. All come from the server
   (GET, the session cookie); nothing is computed here. Loaded before console.js, whose
   helpers ($, el, api, fmt, problem, state) these functions use when called. */
"use strict";
const layers = { control: null, routes: null, lines: {}, history: {}, refresh: null };

async function addLayers() {
  layers.control = L.control.layers(null, null, { collapsed: false }).addTo(state.map);
  layers.routes = L.layerGroup().addTo(state.map);
  layers.control.addOverlay(layers.routes, "planned routes");
  try {
    const relief = await api("/api/relief");
    const overlay = L.imageOverlay(relief.image, relief.bounds, { opacity: 0.85,
                                                                  className: "relief" });
    overlay.addTo(state.map).bringToBack();
    layers.control.addOverlay(overlay, "relief");
  } catch (error) { problem(error.message); }
  await showHotspotHistory();
  await showRoutes();
}

const heat = (c) => (c === null ? "#ffd33d" : c < 60 ? "#ffd33d" : c < 100 ? "#ff9f1a" : "#ff4d4d");

async function showHotspotHistory() {
  let hotspots;
  try { hotspots = await api("/api/hotspots"); } catch (error) { problem(error.message); return; }
  for (const group of Object.values(layers.history)) group.clearLayers();
  for (const h of hotspots) {
    const name = h.patrol ? `hotspots: ${h.patrol}` : "hotspots: other missions";
    if (!layers.history[name]) {
      layers.history[name] = L.layerGroup().addTo(state.map);
      layers.control.addOverlay(layers.history[name], name);
    }
    L.circleMarker([h.lat_deg, h.lon_deg], {
      radius: 4 + Math.min(8, (h.area_m2 || 0) / 10), color: heat(h.peak_temp_c), weight: 1,
      fillOpacity: 0.6, className: "history" })
      .bindTooltip(`${name}: ${fmt(h.peak_temp_c)} °C, ${fmt(h.area_m2)} m² · ${when(h.first_seen_unix_s)}`)
      .addTo(layers.history[name]);
  }
}

async function showRoutes() {
  let routes;
  try { routes = await api("/api/routes"); } catch (error) { problem(error.message); return; }
  for (const drone of Object.keys(layers.lines)) {
    if (!routes[drone]) { layers.lines[drone].remove(); delete layers.lines[drone]; }
  }
  for (const [drone, r] of Object.entries(routes)) {
    if (layers.lines[drone]) { layers.lines[drone].setLatLngs(r.route); continue; }
    layers.lines[drone] = L.polyline(r.route, { color: "#ffd33d", weight: 2, dashArray: "6 4",
                                                className: `route route-${drone}` })
      .bindTooltip(`${drone}: ${r.mission}`).addTo(layers.routes);
  }
}

/* A patrol's new hotspots arrive as findings, many at once: refresh the history and the
   warnings once, a moment after the last. */
function hotspotsChanged() {
  clearTimeout(layers.refresh);
  layers.refresh = setTimeout(() => { showHotspotHistory(); listWarnings(); }, 2000);
}
