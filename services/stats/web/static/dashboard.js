// The monitoring dashboard: the live board pushed by server-sent events (no reload), the
// per-agency table, 30 days as a hand-drawn SVG chart, the overdue list, report links.
"use strict";
let refreshTimer = null;

function setFigure(id, value) {
  const node = $(id), text = fmtNumber(value);
  if (node.textContent !== text) {
    node.textContent = text;
    node.classList.remove("flash"); void node.offsetWidth; node.classList.add("flash");
  }
}

function gauge(id, rate, text) {
  // A half-circle dial: green from 90 %, amber from 70 %, red below.
  const fig = $(id), r = 80, len = Math.PI * r;
  const color = rate === null ? "#bbb" : rate >= .9 ? "#1d7a3a" : rate >= .7 ? "#b86b00" : "#b3261e";
  const arc = `M 20 100 A ${r} ${r} 0 0 1 180 100`;
  const old = fig.querySelector("svg");
  const node = svg("svg", {viewBox: "0 0 200 120"},
    svg("path", {d: arc, fill: "none", stroke: "#e6e9ed", "stroke-width": 18}),
    svg("path", {d: arc, fill: "none", stroke: color, "stroke-width": 18,
                 "stroke-dasharray": `${(rate || 0) * len} ${len}`}),
    svg("text", {x: 100, y: 95, "text-anchor": "middle", "font-size": 30, "font-weight": 700, fill: "#1b1f24"},
        rate === null ? "—" : `${Math.round(rate * 1000) / 10}%`),
    svg("text", {x: 100, y: 116, "text-anchor": "middle", "font-size": 11, fill: "#5b6470"}, text));
  if (old) old.replaceWith(node); else fig.prepend(node);
}

function renderBoard(b) {
  setFigure("#f-received", b.received_today);
  setFigure("#f-processing", b.in_processing.total);
  setFigure("#f-within", b.in_processing.within_deadline);
  setFigure("#f-overdue", b.in_processing.overdue);
  setFigure("#f-soon", b.in_processing.due_soon);
  setFigure("#f-paused", b.paused.total);
  setFigure("#f-resolved", b.resolved_today.total);
  setFigure("#f-early", b.resolved_today.early);
  setFigure("#f-ontime", b.resolved_today.on_time);
  setFigure("#f-late", b.resolved_today.late);
  setFigure("#f-handover", b.waiting_handover);
  setFigure("#f-awaiting", b.awaiting_acceptance);
  setFigure("#f-submitted", b.submitted_online_today);
  const r = b.resolved_today;
  gauge("#g-ontime", r.total ? (r.early + r.on_time) / r.total : null, `${r.early + r.on_time}/${r.total} hồ sơ`);
  const p = b.in_processing.total + b.paused.total, within = b.in_processing.within_deadline + b.paused.within_deadline;
  gauge("#g-within", p ? within / p : null, `${within}/${p} hồ sơ`);
  $("#as-of").textContent = `Cập nhật ${fmtShort(b.as_of)}`;
}

async function loadGroups() {
  // By level, the rows come in the form's sections (departments with their branches, then communes):
  // a heading line opens each section.
  const by = $("#g-by").value;
  const g = await api("GET", `/api/v1/stats/live/groups?by=${by}`);
  const lines = [];
  let section;
  for (const row of g.rows) {
    if (by === "level" && row.section !== section) {
      section = row.section;
      lines.push(el("tr", {class: "section"}, el("th", {colspan: 6, scope: "colgroup"}, row.section_name || "Chưa phân loại")));
    }
    const r = row.resolved_today;
    const rate = r.total ? `${Math.round((r.early + r.on_time) / r.total * 100)}%` : "—";
    lines.push(el("tr", {}, el("td", {}, row.name), el("td", {class: "num"}, fmtNumber(row.received_today)),
      el("td", {class: "num"}, fmtNumber(row.in_processing.total + row.paused.total)),
      el("td", {class: `num ${row.in_processing.overdue + row.paused.overdue ? "bad" : ""}`},
         fmtNumber(row.in_processing.overdue + row.paused.overdue)),
      el("td", {class: "num"}, fmtNumber(r.total)), el("td", {class: "num"}, rate)));
  }
  $("#groups-title").textContent = by === "level" ? "Theo cấp và đơn vị" : "Theo cơ quan";
  $("#agency-table tbody").replaceChildren(...lines);
}

async function loadChart() {
  const {days} = await api("GET", "/api/v1/stats/daily?days=30");
  const W = 600, H = 220, pad = 28, max = Math.max(1, ...days.flatMap(d => [d.received, d.resolved]));
  const slot = (W - pad - 4) / days.length, bar = Math.max(2, slot / 2 - 1);
  const y = v => H - 20 - (v / max) * (H - 40);
  const node = svg("svg", {viewBox: `0 0 ${W} ${H}`});
  for (const t of [0, .5, 1]) {
    const v = Math.round(max * t);
    node.append(svg("line", {x1: pad, x2: W, y1: y(v), y2: y(v), stroke: "#e6e9ed"}),
                svg("text", {x: pad - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 10, fill: "#5b6470"}, v));
  }
  days.forEach((d, i) => {
    const x = pad + i * slot;
    node.append(svg("rect", {x, y: y(d.received), width: bar, height: H - 20 - y(d.received), class: "bar-received"},
                    svg("title", {}, `${fmtDay(d.day)}: tiếp nhận ${d.received}`)),
                svg("rect", {x: x + bar, y: y(d.resolved), width: bar, height: H - 20 - y(d.resolved), class: "bar-resolved"},
                    svg("title", {}, `${fmtDay(d.day)}: giải quyết ${d.resolved}`)));
    if (i % 5 === 0 || i === days.length - 1)
      node.append(svg("text", {x: x + bar, y: H - 5, "text-anchor": "middle", "font-size": 10, fill: "#5b6470"}, fmtDay(d.day)));
  });
  $("#chart").replaceChildren(node);
}

async function loadOverdue() {
  const o = await api("GET", "/api/v1/stats/overdue?limit=50");
  $("#overdue-total").textContent = `(${fmtNumber(o.total)} hồ sơ)`;
  $("#overdue-table tbody").replaceChildren(...o.rows.map(r => el("tr", {},
    el("td", {}, r.code), el("td", {}, r.procedure_name || r.procedure_code), el("td", {}, r.agency_name || r.agency_id),
    el("td", {class: "num bad"}, String(r.days_overdue).replace(".", ",")))));
  if (!o.rows.length) $("#overdue-table tbody").append(el("tr", {}, el("td", {colspan: 4, class: "muted"}, "Không có hồ sơ quá hạn.")));
}

function refreshTables() {
  // Many events in a burst make one refresh of the slower tables.
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => Promise.allSettled([loadGroups(), loadChart(), loadOverdue()]), 1000);
}

function reportLinks() {
  const q = f => `/api/v1/stats/report?from=${$("#r-from").value}&to=${$("#r-to").value}&group_by=${$("#r-group").value}`
    + (f ? `&format=${f}` : "");
  $("#r-json").href = q(""); $("#r-csv").href = q("csv"); $("#r-xlsx").href = q("xlsx");
}

function connect() {
  const source = new EventSource("/api/v1/stats/live/stream");
  source.addEventListener("board", ev => { renderBoard(JSON.parse(ev.data)); $("#live-dot").classList.add("live"); refreshTables(); });
  source.onerror = () => {
    $("#live-dot").classList.remove("live"); $("#as-of").textContent = "Mất kết nối, đang thử lại…";
    // The browser retries a dropped stream by itself, but not a refused one (503 when the board
    // has too many listeners): try again later, spread out so the refused do not return at once.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 10000 + Math.random() * 20000);
  };
}

function start() {
  const today = new Intl.DateTimeFormat("en-CA", {timeZone: TZ}).format(new Date());
  $("#r-to").value = today; $("#r-from").value = today.slice(0, 8) + "01";
  ["#r-from", "#r-to", "#r-group"].forEach(id => $(id).addEventListener("change", reportLinks));
  $("#g-by").addEventListener("change", loadGroups);
  reportLinks();
  connect();
  refreshTables();
  setInterval(refreshTables, 60000);  // the day's series and the overdue days move with the clock too
}

start();
