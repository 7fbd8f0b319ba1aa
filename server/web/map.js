// The public outage map: buildings and outages from the server's GeoJSON endpoints, drawn with
// Leaflet; tiles only when the server is configured with a tile source. Filters by utility and
// by emergency/planned apply to the map and the list beside it together.
(function () {
  "use strict";
  const COLORS = {
    cold_water: "#1f77b4", hot_water: "#d62728", heating: "#ff7f0e",
    electricity: "#bcbd22", gas: "#9467bd",
  };
  const NAMES = {
    cold_water: "ХВС", hot_water: "ГВС", heating: "Отопление",
    electricity: "Электричество", gas: "Газ",
  };
  const STATES = { affected_now: "сейчас", planned: "запланировано", restored: "восстановлено" };

  const map = L.map("map", { preferCanvas: false });
  if (window.CONNECT_MAP_TILES) {
    L.tileLayer(window.CONNECT_MAP_TILES, { maxZoom: 19 }).addTo(map);
  }
  const buildingLayer = L.layerGroup().addTo(map);
  const outageLayer = L.layerGroup().addTo(map);
  let outages = [];
  let addresses = {};

  function checked(name) {
    return new Set(Array.from(document.querySelectorAll('input[name="' + name + '"]:checked'))
      .map((i) => i.value));
  }

  function when(p) {
    const f = (s) => (s ? new Date(s).toLocaleString("ru-RU") : "?");
    return f(p.starts_at) + " — " + (p.ended_at ? f(p.ended_at) : f(p.expected_end_at));
  }

  function text(tag, cls, value) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    e.textContent = value;
    return e;
  }

  async function showRepairs(buildingId) {
    const box = document.getElementById("repairs");
    box.replaceChildren();
    const r = await fetch("/v1/buildings/" + encodeURIComponent(buildingId) + "/repairs");
    if (!r.ok) return;
    const body = await r.json();
    box.append(text("h2", null, "Ремонты: " + (addresses[buildingId] || buildingId)));
    if (body.repairs.length === 0) box.append(text("p", null, "Нет опубликованных работ"));
    for (const rep of body.repairs) {
      box.append(text("p", null, rep.date + " — " + rep.title + (rep.done ? " (выполнено)" : " (план)")));
    }
  }

  function render() {
    const utilities = checked("utility");
    const kinds = checked("kind");
    outageLayer.clearLayers();
    const list = document.getElementById("list");
    list.replaceChildren();
    for (const f of outages) {
      const p = f.properties;
      if (!utilities.has(p.utility) || !kinds.has(p.kind)) continue;
      const color = COLORS[p.utility] || "#333";
      for (const [lon, lat] of f.geometry.coordinates) {
        L.circleMarker([lat, lon], {
          radius: 12, color: color, weight: 3, fillColor: color,
          fillOpacity: p.state === "restored" ? 0.15 : 0.6,
          dashArray: p.kind === "planned" ? "4 4" : null,
          className: "outage outage-" + p.utility,
        }).bindPopup(NAMES[p.utility] + ": " + p.description).addTo(outageLayer);
      }
      const li = document.createElement("li");
      li.dataset.utility = p.utility;
      li.dataset.kind = p.kind;
      li.style.borderLeftColor = color;
      li.append(text("strong", null, NAMES[p.utility] + " · " + (p.kind === "planned" ? "плановое" : "аварийное")
        + " · " + STATES[p.state]));
      li.append(text("div", "when", when(p)));
      li.append(text("div", null, p.description));
      li.append(text("div", "when", p.building_ids.map((b) => addresses[b] || b).join("; ")));
      list.append(li);
    }
    document.body.dataset.shown = String(list.children.length);
  }

  async function load() {
    const [b, o] = await Promise.all([
      fetch("/v1/buildings.geojson").then((r) => r.json()),
      fetch("/v1/outages.geojson").then((r) => r.json()),
    ]);
    const bounds = [];
    for (const f of b.features) {
      const [lon, lat] = f.geometry.coordinates;
      addresses[f.id] = f.properties.address;
      bounds.push([lat, lon]);
      L.circleMarker([lat, lon], { radius: 4, color: "#555", weight: 1, fillColor: "#888", fillOpacity: 0.9 })
        .bindTooltip(f.properties.address)
        .on("click", () => showRepairs(f.id))
        .addTo(buildingLayer);
    }
    if (bounds.length) map.fitBounds(bounds, { padding: [30, 30] });
    else map.setView([59.22, 39.89], 13);
    outages = o.features;
    render();
    document.body.dataset.ready = "1";
  }

  document.querySelectorAll("#side input").forEach((i) => i.addEventListener("change", render));
  load().catch((e) => {
    document.body.dataset.error = String(e);
  });
})();
