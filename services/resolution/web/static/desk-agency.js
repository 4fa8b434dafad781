// The desk inside the agency: "Của tôi" for officers, "Chưa giao" and "Chờ phê duyệt" for leaders;
// on a case, Giao xử lý (a person or "tự động"), Chuyển bước / chuyển người, Phê duyệt, and the
// control slip of form 06 (Circular 03/2025). Loaded before desk.js, which calls these functions.
// Staff of an agency a case was sent to (liên thông) open it too, read it and send it back; nothing else.
"use strict";
const AUTO = "__auto__";
const ROLE_VI = {officer: "chuyên viên", leader: "lãnh đạo", clerk: "công chức tiếp nhận"};
const OPEN_STATUSES = [2, 4, 5, 6];
// "Liên thông đến": cases another agency sent to this one for a step (the tax office's officer sends them back).
const VIEWS = {officer: [["mine", "Của tôi"], ["with_other_agency", "Liên thông đến"]],
  leader: [["mine", "Của tôi"], ["unassigned", "Chưa giao"], ["awaiting_approval", "Chờ phê duyệt"],
    ["with_other_agency", "Liên thông đến"]]};
const MISSING_VI = {approval: "cần lãnh đạo phê duyệt", assignment: "cần giao người xử lý",
  at_other_agency: "đang ở cơ quan khác (liên thông)"};
let agencyCase = null;

function awayBadge(c) {
  return c.away_agency_id ? el("span", {class: "badge away", title: c.away_agency_id}, " Đang ở cơ quan khác") : null;
}

async function sendBack(code, reason = null) {
  try {
    await api("POST", `/api/v1/cases/${encodeURIComponent(code)}/send-back`, {reason});
  } catch (e) { say($("#agency-msg"), e.message); say($("#c-msg"), e.message); return; }
  // Back home, the case is the competent agency's again: this agency sees its list, not the case.
  show($("#case-card"), false); show($("#worklist-card")); history.replaceState(null, "", "/desk");
  await loadWorklist();
  say($("#agency-msg"), `Đã trả kết quả liên thông hồ sơ ${code}.`, "ok");
}

function viewRow(c, view) {
  if (view === "with_other_agency") {  // another agency's case: opened to read it, and sent back
    const open = e => { e.preventDefault(); openCase(c.code); };
    return el("tr", {dataset: {code: c.code}},
      el("td", {}, el("a", {href: `?code=${encodeURIComponent(c.code)}`, class: "open-case", onclick: open}, c.code), awayBadge(c)),
      el("td", {}, c.procedure_name || c.procedure_code),
      el("td", {}, c.agency_id), el("td", {}, c.process[c.away_step]?.name || ""),
      el("td", {}, fmtShort(c.away_since)), el("td", {}, c.away_clock === "pauses" ? "Tạm dừng" : "Vẫn tính"),
      el("td", {}, el("button", {type: "button", class: "send-back", onclick: () => sendBack(c.code)}, "Trả kết quả liên thông")));
  }
  return el("tr", {dataset: {code: c.code}, onclick: () => openCase(c.code)},
    el("td", {}, el("a", {href: `?code=${encodeURIComponent(c.code)}`, onclick: e => { e.preventDefault(); openCase(c.code); }}, c.code), awayBadge(c)),
    el("td", {}, c.procedure_name || c.procedure_code), el("td", {}, c.status_name),
    el("td", {}, c.assignee || "Chưa giao"), el("td", {}, c.step_name), el("td", {}, fmtShort(c.step_due_at)),
    el("td", {}, fmtShort(c.due_at)));
}

async function loadAgencyViews() {
  const views = VIEWS[account.role] || [];
  const boxes = await Promise.all(views.map(async ([view, title]) => {
    const found = await api("GET", `/api/v1/worklist?view=${view}&limit=200`);
    const rows = found.length ? found.map(c => viewRow(c, view))
      : [el("tr", {}, el("td", {colspan: 7, class: "muted"}, "Không có hồ sơ."))];
    return el("section", {class: "view", id: `view-${view}`},
      el("h3", {}, `${title} (${found.length})`),
      el("table", {}, el("thead", {}, el("tr", {}, ...(view === "with_other_agency"
        ? ["Mã hồ sơ", "Thủ tục", "Cơ quan giải quyết", "Bước liên thông", "Nhận lúc", "Thời hạn", ""]
        : ["Mã hồ sơ", "Thủ tục", "Trạng thái", "Người xử lý", "Bước", "Hạn bước", "Hạn trả"]).map(h => el("th", {}, h)))),
        el("tbody", {class: "view-rows"}, ...rows)));
  }));
  $("#agency-views").replaceChildren(...boxes);
}

function stepOptions(c, select) {
  select.replaceChildren(...c.process.map((s, i) => s.role === "clerk" ? null
    : el("option", {value: i, selected: i === c.step}, `${i}. ${s.name} (${ROLE_VI[s.role]}, ${fmtHours(s.hours)})`)).filter(Boolean));
}

async function renderAgency(c, lines) {
  agencyCase = c;
  $("#c-assignee").textContent = c.assignee || "Chưa giao";
  $("#c-step").textContent = c.step_name;
  $("#c-step-due").textContent = fmtDateTime(c.step_due_at);
  $("#c-approval").textContent = !c.requires_approval ? "Không yêu cầu"
    : c.approved_at ? `Đã phê duyệt (${c.approved_by}, ${fmtShort(c.approved_at)})` : "Chưa phê duyệt";
  $("#c-decision-missing").textContent = c.missing_for_decision.length && c.status === 4 && !c.visiting
    ? "Chưa thể kết thúc xử lý: " + c.missing_for_decision.map(m => MISSING_VI[m] || m).join(", ") : "";
  show($("#c-decision-missing"), !!$("#c-decision-missing").textContent);
  $("#c-control").replaceChildren(...lines.map((h, i) => el("tr", {},
    el("td", {}, `${i + 1}. ${h.step_name}`),
    el("td", {}, `Giao: ${h.from_assignee || h.actor} → Nhận: ${h.assignee}`, el("br"), fmtShort(h.handed_at)),
    el("td", {}, fmtShort(h.step_due_at)),
    el("td", {class: h.result === "late" ? "bad" : null}, h.result_vi),
    el("td", {}, h.actor !== h.from_assignee && h.actor !== h.assignee ? `Người giao: ${h.actor}` : ""))));
  if (!lines.length) $("#c-control").append(el("tr", {}, el("td", {colspan: 5, class: "muted"}, "Chưa giao xử lý.")));
  const open = OPEN_STATUSES.includes(c.status) && !c.resolved_at && !c.visiting;
  const leader = account.role === "leader";
  show($("#send-back-box"), c.may_send_back);
  $("#send-back-what").textContent = c.may_send_back
    ? `Hồ sơ của cơ quan ${c.agency_id}, chuyển đến để thực hiện bước “${c.process[c.away_step]?.name || ""}” từ ${fmtShort(c.away_since)}.` : "";
  $("#send-back-reason").value = "";
  const mayTransfer = open && c.assignee && (leader || c.assignee === account.username);
  show($("#assign-box"), open && leader);
  show($("#transfer-box"), !!mayTransfer);
  show($("#approve-box"), leader && !c.visiting && c.requires_approval && !c.approved_at && c.status === 4);
  $("#c-away").textContent = c.away_agency_id
    ? `Đang ở cơ quan khác: ${c.away_agency_id} (bước “${c.process[c.away_step]?.name || ""}”, từ ${fmtShort(c.away_since)}; thời hạn ${c.away_clock === "pauses" ? "tạm dừng" : "vẫn tính"})` : "";
  show($("#c-away"), !!c.away_agency_id);
  const liens = c.process.map((s, i) => [s, i]).filter(([s]) => s.agency_id);
  show($("#send-box"), open && c.status === 4 && !c.away_agency_id && liens.length > 0 && (leader || c.assignee === account.username));
  $("#send-step").replaceChildren(...liens.map(([s, i]) => el("option", {value: i},
    `${i}. ${s.name} → ${s.agency_id} (${s.clock === "pauses" ? "thời hạn tạm dừng" : "thời hạn vẫn tính"})`)));
  const nextLien = liens.find(([, i]) => i >= c.step);
  if (nextLien) $("#send-step").value = String(nextLien[1]);
  if (open && (leader || mayTransfer)) {
    let people = [];
    try { people = await api("GET", `/api/v1/cases/${encodeURIComponent(c.code)}/candidates`); } catch (e) { people = []; }
    const options = people.map(p => el("option", {value: p.username}, `${p.username} — ${ROLE_VI[p.role] || p.role} (${p.open_cases} hồ sơ)`));
    $("#assign-to").replaceChildren(el("option", {value: AUTO}, "Tự động (người ít hồ sơ nhất)"), ...options.map(o => o.cloneNode(true)));
    $("#transfer-to").replaceChildren(...options);
    stepOptions(c, $("#assign-step")); stepOptions(c, $("#transfer-step"));
    const next = c.process.findIndex((s, i) => i > c.step && s.role !== "clerk");
    if (next >= 0) $("#transfer-step").value = String(next);
  }
}

async function agencyAction(path, body, done) {
  try {
    await api("POST", `/api/v1/cases/${encodeURIComponent(agencyCase.code)}/${path}`, body);
    await openCase(agencyCase.code);
    say($("#c-msg"), done, "ok");
  } catch (e) { say($("#c-msg"), e.message); }
}

function wireAgency() {
  $("#assign-button").addEventListener("click", () => {
    const to = $("#assign-to").value, step = Number($("#assign-step").value);
    agencyAction("assign", to === AUTO ? {auto: true, step} : {assignee: to, step}, "Đã giao xử lý.");
  });
  $("#transfer-button").addEventListener("click", () => agencyAction("transfer",
    {to: $("#transfer-to").value, step: Number($("#transfer-step").value)}, "Đã chuyển hồ sơ."));
  $("#approve-button").addEventListener("click", () => agencyAction("approve", {}, "Đã phê duyệt."));
  $("#send-button").addEventListener("click", () => agencyAction("send",
    {step: Number($("#send-step").value), reason: $("#send-reason").value || null}, "Đã chuyển liên thông."));
  $("#send-back-button").addEventListener("click", () => sendBack(agencyCase.code, $("#send-back-reason").value.trim() || null));
}

document.addEventListener("DOMContentLoaded", wireAgency);
