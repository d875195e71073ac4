/* dronewatch console: a live map of drones and findings, the alarm form and the
   findings work-flow (the map's slower layers are in layers.js, the patrol panel in
   panels.js). Every change goes through the server (POST with the session's
   CSRF token); the page holds no flight or detection logic. Nothing is loaded from
   outside the station: Leaflet is served by the console itself. */
"use strict";
const state = { me: null, drones: {}, findings: {}, map: null, plan: null, events: null };
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const kid of kids) node.append(kid);
  return node;
};
const fmt = (x, digits = 0) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits));

async function api(path, body) {
  const options = { credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRF-Token"] = state.me ? state.me.csrf : "";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof data.detail === "string" ? data.detail
      : (data.detail || []).map((d) => `${(d.loc || []).slice(-1)}: ${d.msg}`).join("; ");
    throw new Error(detail || response.statusText);
  }
  return data;
}

function problem(text) { $("problem").textContent = text || ""; }

/* ---------------------------------------------------------------- log-in */
async function start() {
  try {
    state.me = await api("/api/me");
  } catch (_) {
    $("login").hidden = false;
    return;
  }
  $("login").hidden = true;
  $("main").hidden = false;
  $("who").textContent = `${state.me.name} (${state.me.role})`;
  document.body.classList.toggle("viewer", state.me.role !== "operator");
  await openMap();
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    state.me = await api("/api/login", { name: $("login-name").value,
                                         password: $("login-password").value });
    $("login-error").textContent = "";
    await start();
  } catch (error) {
    $("login-error").textContent = error.message;
  }
});

$("logout").addEventListener("click", async () => {
  await api("/api/logout", {}).catch(() => null);
  location.reload();
});

/* ---------------------------------------------------------------- the map */
const ZONE_COLOURS = { no_fly: "#ff4d4d", hazard: "#ff9f1a", operating_area: "#aaaaaa",
                       patrol_area: "#58a6ff", key_site: "#d2a8ff", rescue_prone: "#7ee787" };

async function openMap() {
  if (typeof L === "undefined") {
    problem("the map scripts are missing: run 'dronewatch assets' on the station once");
    return;
  }
  state.map = L.map("map", { preferCanvas: false });
  const zones = await api("/api/zones");
  const layer = L.geoJSON(zones, {
    style: (f) => ({ color: ZONE_COLOURS[f.properties.kind] || "#ccc", weight: 1.5,
                     fillOpacity: f.properties.kind === "operating_area" ? 0 : 0.15 }),
    pointToLayer: (f, at) => L.circleMarker(at, { radius: 5, color: "#fff" }),
    onEachFeature: (f, l) => l.bindTooltip(f.properties.name || f.properties.id || ""),
  }).addTo(state.map);
  state.map.fitBounds(layer.getBounds());
  state.map.on("click", (e) => {
    $("alarm-lat").value = e.latlng.lat.toFixed(6);
    $("alarm-lon").value = e.latlng.lng.toFixed(6);
  });
  for (const drone of await api("/api/drones")) showDrone(drone, true);
  for (const finding of await api("/api/findings")) showFinding(finding);
  listFindings();
  listen();
  await addLayers();
  listPatrols();
  setInterval(listPatrols, 60000);
  setInterval(refreshCamera, 1000);
}

/* ---------------------------------------------------------------- camera */
async function refreshCamera() {
  const drone = $("camera-drone").value;
  if (!drone) return;
  const response = await fetch(`/api/drones/${drone}/frame.png?palette=${$("camera-palette").value}`,
                               { credentials: "same-origin" }).catch(() => null);
  const shown = response !== null && response.ok;
  $("camera").hidden = !shown;
  $("camera-none").hidden = shown;
  if (!shown) return;
  const old = $("camera").src;
  $("camera").src = URL.createObjectURL(await response.blob());
  $("camera").dataset.frame = response.headers.get("X-Frame-Number");
  $("camera").dataset.detections = response.headers.get("X-Detections") ?? "";
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
}

function listen() {
  const events = new EventSource("/api/events");
  state.events = events;
  events.onopen = () => { $("live").textContent = "live"; $("live").className = "live ok"; };
  events.onerror = () => { $("live").textContent = "reconnecting…"; $("live").className = "live down"; };
  events.addEventListener("drones", (e) => {
    const data = JSON.parse(e.data);
    for (const drone of data.drones) showDrone(drone, false);
    // how long from the server's snapshot to drawn (read by tests.benchmarks.console)
    const latencies = window.__telemetryLatencyMs = window.__telemetryLatencyMs || [];
    if (latencies.length < 10000) latencies.push(Date.now() - data.sent_unix_s * 1000);
  });
  events.addEventListener("finding", (e) => {
    const finding = JSON.parse(e.data);
    showFinding(finding);
    listFindings();
    if (finding.kind === "hotspot") hotspotsChanged();
  });
  events.addEventListener("problem", (e) => problem(JSON.parse(e.data).text));
  // the server ends the stream when the session does: back to the log-in form
  events.addEventListener("session", () => { events.close(); location.reload(); });
}

/* ---------------------------------------------------------------- drones */
function showDrone(d, withTrack) {
  let shown = state.drones[d.id];
  if (!shown) {
    shown = state.drones[d.id] = { track: L.polyline([], { color: "#58a6ff", weight: 2 }).addTo(state.map),
                                   marker: null, item: el("li", { "data-drone": d.id }) };
    $("drones").append(shown.item);
    $("camera-drone").append(el("option", { value: d.id, text: d.id }));
  }
  if (withTrack) shown.track.setLatLngs(d.track);
  if (d.lat_deg !== null && d.lon_deg !== null) {
    const at = [d.lat_deg, d.lon_deg];
    if (!withTrack) shown.track.addLatLng(at);
    const arrow = `<div style="transform: rotate(${d.heading_deg || 0}deg)">&#x2B06;</div>`;
    const icon = L.divIcon({ className: "drone-icon", html: arrow,
                             iconSize: [24, 24], iconAnchor: [12, 12] });
    if (!shown.marker) shown.marker = L.marker(at, { icon, title: d.id }).addTo(state.map);
    else { shown.marker.setLatLng(at); shown.marker.setIcon(icon); }
    shown.marker.bindTooltip(`${d.id} ${d.mode} ${fmt(d.alt_rel_m)} m`);
  }
  const item = shown.item;
  if (layers.control && item.dataset.mission !== undefined && item.dataset.mission !== d.mission) {
    showRoutes();  // a mission began or ended: its route appears or goes
  }
  Object.assign(item.dataset, { lat: d.lat_deg ?? "", lon: d.lon_deg ?? "", mode: d.mode,
                                mission: d.mission, connected: d.connected });
  const parts = shown.parts || (shown.parts = droneItem(d.id, item));
  parts.status.textContent = d.connected ? `${d.mode}${d.armed ? " armed" : ""}` : "not connected";
  parts.telemetry.textContent = `alt ${fmt(d.alt_rel_m)} m · hdg ${fmt(d.heading_deg)}° · ` +
    `batt ${fmt(d.battery_pct)} % · link ${fmt((d.link_quality ?? 0) * 100)} %`;
  parts.mission.textContent = d.mission ? `flying ${d.mission}` : (d.last_outcome || "idle");
  parts.launch.hidden = !(state.plan && !d.mission);
}

/* A drone's list item, built once: telemetry several times a second changes only its
   texts, so a button is never replaced under the operator's pointer mid-click. */
function droneItem(id, item) {
  const parts = { status: el("span"), telemetry: el("span"), mission: el("span", { class: "mission" }),
                  launch: el("button", { class: "op launch", type: "button", text: "launch plan",
                                         onclick: () => launch(id) }) };
  item.replaceChildren(
    el("strong", { text: id }), " ", parts.status, el("br"), parts.telemetry, el("br"),
    parts.mission, el("br"),
    ...["rtl", "hold", "resume"].map((action) => el("button", {
      class: "op", type: "button", "data-action": action, text: action.toUpperCase(),
      onclick: () => command(id, action) })),
    parts.launch);
  return parts;
}

async function command(drone, action) {
  if (!confirm(`${action.toUpperCase()} ${drone}?`)) return;
  try { await api(`/api/drones/${drone}/command`, { action, confirm: true }); problem(""); }
  catch (error) { problem(error.message); }
}

/* ---------------------------------------------------------------- alarm */
$("alarm").addEventListener("submit", async (event) => {
  event.preventDefault();
  const hours = $("alarm-hours").value;
  try {
    const plan = await api("/api/alarm/plan", {
      lat_deg: Number($("alarm-lat").value), lon_deg: Number($("alarm-lon").value),
      radius_m: Number($("alarm-radius").value), pattern: $("alarm-pattern").value,
      lost_hours: hours === "" ? null : Number(hours) });
    if (state.plan && state.plan.line) state.plan.line.remove();
    plan.line = L.polyline(plan.route, { color: "#ffd33d", dashArray: "6 4" }).addTo(state.map);
    state.plan = plan;
    $("plan").replaceChildren(el("p", { id: "plan-summary", text:
      `${plan.name}: ${plan.pattern} from ${plan.launch_site}, ${plan.sorties} sortie(s), ` +
      `${fmt(plan.distance_m / 1000, 1)} km, ${fmt(plan.time_s / 60)} min, POD ${fmt(plan.pod * 100)} %` }),
      ...plan.notes.map((n) => el("p", { class: "hint", text: n })));
    problem("");
  } catch (error) { problem(error.message); }
});

async function launch(drone) {
  if (!state.plan || !confirm(`launch ${state.plan.name} on ${drone}?`)) return;
  try {
    await api(`/api/drones/${drone}/launch`, { plan_id: state.plan.plan_id });
    problem("");
    await showRoutes();
  } catch (error) { problem(error.message); }
}

/* ---------------------------------------------------------------- findings */
const KIND_COLOURS = { person: "#ff4d4d", hotspot: "#ff9f1a", vehicle: "#d2a8ff" };

function showFinding(f) {
  const old = state.findings[f.id];
  if (old) old.layer.remove();
  const colour = f.review === "dismissed" ? "#888" : (KIND_COLOURS[f.kind] || "#fff");
  const layer = L.layerGroup([
    L.circle([f.lat_deg, f.lon_deg], { radius: f.accuracy_m, color: colour, weight: 1 }),
    L.circleMarker([f.lat_deg, f.lon_deg], { radius: 5, color: colour, fillOpacity: 0.9 })
      .bindTooltip(`#${f.id} ${f.kind} (${f.review})`),
  ]).addTo(state.map);
  state.findings[f.id] = { data: f, layer, shown_ms: Date.now() };
  window.__findingShown = Object.assign(window.__findingShown || {}, { [f.id]: Date.now() });
}

function listFindings() {
  const all = Object.values(state.findings).map((s) => s.data)
    .sort((a, b) => a.rank - b.rank || b.id - a.id);
  $("findings").replaceChildren(...all.map((f) => {
    const note = el("input", { class: "op", placeholder: "note", maxlength: "2000" });
    return el("li", { class: `finding ${f.kind} ${f.review}`, "data-finding": f.id,
                      "data-review": f.review },
      el("strong", { text: `#${f.id} ${f.kind}` }), " ",
      el("span", { text: `${f.review}${f.reviewed_by ? ` by ${f.reviewed_by}` : ""} · ` +
                         `±${fmt(f.accuracy_m, 1)} m · ${fmt(f.confidence * 100)} %` }),
      ...(f.note ? [el("br"), el("em", { text: f.note })] : []),
      el("br"),
      ...(f.next.length ? [note] : []),
      ...f.next.map((next) => el("button", { class: "op", type: "button", "data-next": next,
        text: next === "confirmed" ? "confirm" : next === "dismissed" ? "dismiss" : "close",
        onclick: () => decide(f, next, note.value) })),
      el("button", { type: "button", text: "show",
                     onclick: () => state.map.setView([f.lat_deg, f.lon_deg], 17) }));
  }));
}

async function decide(f, next, note) {
  try {
    const shown = await api(`/api/findings/${f.id}/review`, { state: next, note, expected: f.review });
    showFinding(shown);
    listFindings();
    problem("");
  } catch (error) { problem(error.message); }
}

start();
