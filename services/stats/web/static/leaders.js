// The leaders' views for a week, month, quarter or year: Decision 766's index with its ranking,
// staffing, and the uptake of online services; charts drawn as SVG by hand.
"use strict";

const GOOD = "#1d7a3a", MID = "#b86b00", BAD = "#b3261e", GREY = "#c4c9d0";

function pct(v) {
  return v === null || v === undefined ? "—" : `${v.toLocaleString("vi-VN", {maximumFractionDigits: 2})} %`;
}
function hours(v) { return v === null || v === undefined ? "—" : v.toLocaleString("vi-VN", {maximumFractionDigits: 2}); }
function num(v) { return el("td", {class: "num"}, fmtNumber(v)); }
function rows(tbody, items, render, empty, span) {
  const body = $(tbody);
  body.replaceChildren(...items.map(render));
  if (!items.length) body.append(el("tr", {}, el("td", {colspan: span, class: "muted"}, empty)));
}
function vnDate(iso) { const [y, m, d] = iso.split("-"); return `${d}/${m}/${y}`; }

function groupBars(q) {
  // One bar per group: what was scored, out of what could be assessed, out of the group's points.
  const W = 700, row = 34, H = q.groups.length * row + 6, left = 190, right = 170, scale = (W - left - right) / 22;
  const node = svg("svg", {viewBox: `0 0 ${W} ${H}`});
  q.groups.forEach((g, i) => {
    const got = q.total.groups[g.key], y = i * row + 4;
    node.append(svg("text", {x: left - 8, y: y + 19, "text-anchor": "end", "font-size": 13, fill: "#1b1f24"}, g.vi),
      svg("rect", {x: left, y, width: g.points * scale, height: 24, fill: "#eef1f4", rx: 3},
        svg("title", {}, `${g.vi}: tối đa ${g.points} điểm`)),
      svg("rect", {x: left, y, width: got.assessed_points * scale, height: 24, fill: "none", stroke: GREY, rx: 3}));
    if (got.score !== null) {
      const share = got.score / got.assessed_points;
      node.append(svg("rect", {x: left, y, width: got.score * scale, height: 24, rx: 3, class: "bar-score",
        fill: share >= .9 ? GOOD : share >= .7 ? MID : BAD}, svg("title", {}, `${g.vi}: ${hours(got.score)} điểm`)));
    }
    const label = got.score === null ? "Thiếu dữ liệu"
      : `${hours(got.score)}/${hours(got.assessed_points)} (tối đa ${g.points})`;
    node.append(svg("text", {x: W - right + 6, y: y + 17, "font-size": 12, fill: got.score === null ? "#5b6470" : "#1b1f24"}, label));
  });
  $("#q-groups").replaceChildren(node);
}

function renderQuality(q) {
  $("#p-range").textContent = `${vnDate(q.from)} – ${vnDate(q.to)}`;
  const t = q.total;
  $("#q-score").textContent = `${hours(t.score)} điểm`;
  $("#q-of").textContent = t.assessed_points
    ? `trên ${hours(t.assessed_points)} điểm đánh giá được (${pct(t.score_percent)}); tổng thang điểm 100`
    : "chưa có hồ sơ để đánh giá trong kỳ";
  groupBars(q);
  const groupName = Object.fromEntries(q.groups.map(g => [g.key, g.vi]));
  rows("#q-indicators tbody", q.indicators, i => {
    const v = t.indicators[i.key];
    const formula = el("details", {}, el("summary", {}, i.computed ? "Cách tính" : "Thiếu dữ liệu"),
      el("p", {}, i.formula_vi), el("p", {class: "muted"}, i.source));
    return el("tr", {class: i.computed ? "" : "missing"},
      el("td", {}, i.vi, i.computed ? null : el("div", {class: "muted"}, i.missing_vi)),
      el("td", {}, groupName[i.group]),
      el("td", {class: "num"}, v ? pct(v.rate) : "—"),
      el("td", {class: "num"}, pct(i.target)),
      el("td", {class: "num"}, v && v.score !== null ? `${hours(v.score)}/${i.points}` : i.points ? `–/${i.points}` : "—"),
      el("td", {}, formula));
  }, "", 6);
  rows("#q-ranking tbody", q.rows, r => el("tr", {},
    el("td", {class: "num"}, r.rank ?? "—"), el("td", {}, r.name),
    el("td", {class: "num"}, pct(r.score_percent)), el("td", {class: "num"}, hours(r.score)),
    el("td", {class: "num"}, pct(r.indicators.on_time.rate)),
    el("td", {class: "num"}, pct(r.indicators.online_dossiers.rate)),
    el("td", {class: "num"}, pct(r.indicators.dossier_satisfaction.rate))),
    "Không có hồ sơ trong kỳ.", 7);
}

function officerChart(officers) {
  const top = officers.filter(o => o.in_hand).slice(0, 12);
  if (!top.length) { $("#s-chart").replaceChildren(el("p", {class: "muted"}, "Không có cán bộ nào đang giữ hồ sơ.")); return; }
  const W = 560, row = 26, H = top.length * row + 6, left = 170, max = Math.max(...top.map(o => o.in_hand));
  const scale = (W - left - 50) / max, node = svg("svg", {viewBox: `0 0 ${W} ${H}`});
  top.forEach((o, i) => {
    const y = i * row + 3, within = o.in_hand - o.overdue_in_hand;
    node.append(svg("text", {x: left - 6, y: y + 15, "text-anchor": "end", "font-size": 12, fill: "#1b1f24"}, o.handler),
      svg("rect", {x: left, y, width: within * scale, height: 18, class: "bar-within"},
        svg("title", {}, `${o.handler}: ${within} trong hạn`)),
      svg("rect", {x: left + within * scale, y, width: o.overdue_in_hand * scale, height: 18, class: "bar-overdue"},
        svg("title", {}, `${o.handler}: ${o.overdue_in_hand} quá hạn`)),
      svg("text", {x: left + o.in_hand * scale + 6, y: y + 14, "font-size": 12, fill: "#1b1f24"}, o.in_hand));
  });
  $("#s-chart").replaceChildren(node);
}

function renderStaffing(s) {
  officerChart(s.officers);
  rows("#s-officers tbody", s.officers, o => el("tr", {},
    el("td", {}, o.handler), el("td", {}, o.agency_name), num(o.in_hand),
    el("td", {class: `num ${o.overdue_in_hand ? "bad" : ""}`}, fmtNumber(o.overdue_in_hand)),
    num(o.decided), el("td", {class: "num"}, hours(o.avg_working_hours)), el("td", {class: "num"}, hours(o.p90_working_hours))),
    "Chưa có cán bộ nào giữ hoặc giải quyết hồ sơ.", 7);
  rows("#s-agencies tbody", s.agencies, a => el("tr", {},
    el("td", {}, a.agency_name), num(a.officers), num(a.in_hand),
    el("td", {class: `num ${a.overdue_in_hand ? "bad" : ""}`}, fmtNumber(a.overdue_in_hand)),
    num(a.not_taken_up), num(a.decided)), "Không có hồ sơ.", 6);
  rows("#s-procedures tbody", s.procedures, p => el("tr", {},
    el("td", {}, p.procedure_name), el("td", {}, p.agency_name), num(p.decided),
    el("td", {class: "num"}, hours(p.avg_working_hours)), el("td", {class: "num"}, hours(p.p90_working_hours))),
    "Chưa có hồ sơ được giải quyết trong kỳ.", 5);
  rows("#s-oldest tbody", s.oldest, d => el("tr", {},
    el("td", {}, d.code), el("td", {}, d.procedure_name), el("td", {}, d.handler || el("span", {class: "muted"}, "Chưa phân công")),
    el("td", {class: `num ${d.bucket.endsWith("overdue") ? "bad" : ""}`}, hours(d.working_days_held))),
    "Không có hồ sơ đang giải quyết.", 4);
}

function trendChart(o) {
  const W = 560, H = 200, pad = 34, months = o.months, slot = (W - pad - 4) / Math.max(months.length, 1);
  const y = v => H - 22 - (v / 100) * (H - 40), node = svg("svg", {viewBox: `0 0 ${W} ${H}`});
  for (const v of [0, 50, 100])
    node.append(svg("line", {x1: pad, x2: W, y1: y(v), y2: y(v), stroke: "#e6e9ed"}),
      svg("text", {x: pad - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 10, fill: "#5b6470"}, `${v}%`));
  months.forEach((m, i) => {
    const x = pad + i * slot + slot * .15, share = m.share ?? 0;
    node.append(svg("rect", {x, y: y(share), width: slot * .7, height: H - 22 - y(share), class: "bar-online"},
      svg("title", {}, `${m.month}: ${pct(m.share)} (${m.online}/${m.total})`)),
      svg("text", {x: x + slot * .35, y: H - 6, "text-anchor": "middle", "font-size": 10, fill: "#5b6470"},
        `${m.month.slice(5)}/${m.month.slice(0, 4)}`));
  });
  node.append(svg("line", {x1: pad, x2: W, y1: y(o.target), y2: y(o.target), class: "target-line"}));
  $("#o-chart").replaceChildren(node);
}

function renderOnline(o) {
  $("#o-share").textContent = pct(o.total.share);
  $("#o-of").textContent = `${fmtNumber(o.total.online)}/${fmtNumber(o.total.total)} hồ sơ nhận giải quyết; mục tiêu ${pct(o.target)}`;
  trendChart(o);
  rows("#o-levels tbody", o.by_level, l => el("tr", {}, el("td", {}, l.name), num(l.online), num(l.total),
    el("td", {class: "num"}, pct(l.share))), "", 4);
  rows("#o-lagging tbody", o.lagging, p => el("tr", {},
    el("td", {}, p.procedure_name, el("div", {class: "muted"}, p.online_level === "toan_trinh" ? "Toàn trình" : "Một phần")),
    el("td", {}, p.agency_name), el("td", {class: "num"}, `${fmtNumber(p.online)}/${fmtNumber(p.total)}`),
    el("td", {class: "num bad"}, pct(p.share))), "Không có thủ tục nào dưới mục tiêu.", 4);
  const n = o.not_offered_online;
  $("#o-note").textContent = `Cách tính: ${o.formula.vi}.` + (n.dossiers
    ? ` Không tính ${fmtNumber(n.dossiers)} hồ sơ của ${fmtNumber(n.procedures)} thủ tục chưa cung cấp trực tuyến.` : "");
}

let latest = 0;  // answers to an earlier choice that arrive late must not overwrite the current one

async function load() {
  const mine = ++latest;
  const params = new URLSearchParams({period: $("#p-kind").value, day: $("#p-day").value});
  say($("#p-error"), "");
  try {
    const q = await api("GET", `/api/v1/stats/quality?${params}`);
    if (mine !== latest) return;
    renderQuality(q);
    const range = new URLSearchParams({from: q.from, to: q.to});
    const [s, o] = await Promise.all([api("GET", `/api/v1/stats/staffing?${range}`), api("GET", `/api/v1/stats/online?${range}`)]);
    if (mine !== latest) return;
    renderStaffing(s);
    renderOnline(o);
  } catch (err) {
    if (mine === latest) say($("#p-error"), err.message);
  }
}

function start() {
  $("#p-day").value = new Intl.DateTimeFormat("en-CA", {timeZone: TZ}).format(new Date());
  ["#p-kind", "#p-day"].forEach(id => $(id).addEventListener("change", load));
  load();
}

start();
