/* dronewatch console: the patrol panel (schedule, recent runs, "start now") and the
   warnings growing hotspots raised. Starting a patrol is a POST with the session's CSRF
   token, after a confirmation; planning and flying are the server's (ops.patrol).
   Loaded before console.js, whose helpers these functions use when called. */
"use strict";
const when = (unix_s) => (unix_s ? new Date(unix_s * 1000).toLocaleString() : "–");

async function listPatrols() {
  let patrols;
  try { patrols = await api("/api/patrols"); } catch (error) { problem(error.message); return; }
  const drones = Object.keys(state.drones);
  $("patrols").replaceChildren(...patrols.map((p) => {
    const pick = el("select", { class: "op", "aria-label": `drone for ${p.name}` },
                    ...drones.map((d) => el("option", { value: d, text: d })));
    if (p.console_drone) pick.value = p.console_drone;
    return el("li", { "data-patrol": p.name },
      el("strong", { text: p.name }), " ",
      el("span", { text: `next ${when(p.next_run_unix_s)} · ${p.schedule}` }),
      el("br"), pick, " ",
      el("button", { class: "op start", type: "button", text: "start now",
                     onclick: () => startPatrol(p.name, pick.value) }),
      ...p.runs.slice().reverse().map((r) => el("div", { class: "hint",
        text: `${when(r.due_unix_s)}: ${r.status}${r.detail ? ` (${r.detail})` : ""}` })));
  }));
  await listWarnings();
}

async function startPatrol(name, drone) {
  if (!drone || !confirm(`start patrol ${name} now on ${drone}?`)) return;
  try {
    await api(`/api/patrols/${encodeURIComponent(name)}/start`, { drone, confirm: true });
    problem("");
    await showRoutes();
    await listPatrols();
  } catch (error) { problem(error.message); }
}

async function listWarnings() {
  let warnings;
  try { warnings = await api("/api/patrols/warnings?limit=20"); }
  catch (error) { problem(error.message); return; }
  $("warnings").replaceChildren(...warnings.map((w) => el("li", {
    class: "warning", "data-finding": w.finding_id },
    el("span", { text: `${when(w.time_unix_s)}: ${w.text}` }), " ",
    el("button", { type: "button", text: "show",
                   onclick: () => state.map.setView([w.lat_deg, w.lon_deg], 16) }))));
}
