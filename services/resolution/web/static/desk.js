// The officer desk: the agency's worklist by due time, a case's control slip, the actions its
// status allows (only those the API lists), and form 04.
"use strict";
const ROLES = ["officer", "leader"];
const ACTIVE = [2, 4, 5, 6, 9];
const ACTION_VI = {"start-processing": "Bắt đầu xử lý", "request-supplement": "Yêu cầu bổ sung",
  "record-supplement": "Ghi nhận đã bổ sung", "request-fee": "Yêu cầu nộp phí, lệ phí",
  "record-payment": "Ghi nhận đã nộp phí", "stop": "Dừng xử lý", "resolve": "Xử lý xong (có kết quả)",
  "return-result": "Trả kết quả", "withdraw": "Ghi nhận rút hồ sơ"};
const NEEDS_REASON = ["request-supplement", "stop", "withdraw"];
const STEP_VI = {"dossier.accepted": "Tiếp nhận", "dossier.processing_started": "Xử lý",
  "dossier.supplement_requested": "Yêu cầu bổ sung", "dossier.fee_requested": "Yêu cầu nộp phí",
  "dossier.withdrawn": "Rút hồ sơ", "dossier.stopped": "Dừng xử lý", "dossier.resolved": "Xử lý xong",
  "dossier.returned": "Trả kết quả", "dossier.overdue": "Quá hạn", "dossier.rated": "Công dân đánh giá",
  "dossier.apology_issued": "Xin lỗi, hẹn lại (mẫu 04)", "dossier.assigned": "Giao xử lý",
  "dossier.approved": "Phê duyệt", "dossier.sent_to_agency": "Chuyển liên thông",
  "dossier.back_from_agency": "Trả kết quả liên thông"};
// A reason recorded as a code by the system, in words (the rest are people's own words).
const REASON_VI = {"supplement_not_provided": "Quá thời hạn bổ sung, hoàn thiện hồ sơ mà người nộp hồ sơ chưa bổ sung"};
let account = null, cases = [], openCode = null;

function flag(c) {
  if (c.overdue) return el("span", {class: "badge overdue"}, "Quá hạn");
  if (c.due_soon) return el("span", {class: "badge soon"}, "Sắp đến hạn");
  if (c.status === 9) return el("span", {class: "badge ok"}, "Chờ trả kết quả");
  return el("span", {class: "badge ok"}, "Trong hạn");
}

async function enter(a) {
  if (!ROLES.includes(a.role)) {
    say($("#sign-in .notice"), `Tài khoản ${a.username} (${a.role_name}) không dùng bàn làm việc này. Vui lòng đăng nhập bằng tài khoản chuyên viên hoặc lãnh đạo.`);
    return;
  }
  account = a;
  show($("#sign-in-card"), false); show($("#worklist-card"));
  $("#who").textContent = `${a.full_name || a.username} — ${a.role_name}${a.agency_id ? " — " + a.agency_id : ""}`;
  $("#agency-line").textContent = a.agency_id ? `của cơ quan ${a.agency_id}` : "của tất cả cơ quan";
  show($("#who")); show($("#sign-out"));
  await loadWorklist();
  const code = new URLSearchParams(location.search).get("code");
  if (code) openCase(code);
}

async function loadWorklist() {
  // The API limits the list to the account's agency; no other agency is offered.
  const lists = await Promise.all(ACTIVE.map(s => api("GET", `/api/v1/cases?status=${s}&limit=200`)));
  cases = lists.flat().sort((x, y) => x.due_at.localeCompare(y.due_at) || x.code.localeCompare(y.code));
  renderWorklist();
  await loadAgencyViews();  // desk-agency.js: "Của tôi", "Chưa giao", "Chờ phê duyệt"
}

function renderWorklist() {
  const onlyLate = $("#only-late").checked;
  const shown = cases.filter(c => !onlyLate || c.overdue || c.due_soon);
  $("#work-rows").replaceChildren(...shown.map(c => el("tr", {dataset: {code: c.code, due: c.due_at},
      class: c.overdue ? "overdue" : c.due_soon ? "soon" : null, onclick: () => openCase(c.code)},
    el("td", {}, el("a", {href: `?code=${encodeURIComponent(c.code)}`, onclick: e => { e.preventDefault(); openCase(c.code); }}, c.code)),
    el("td", {}, c.procedure_name || c.procedure_code), el("td", {}, c.status_name),
    el("td", {}, c.assignee || "Chưa giao"), el("td", {}, c.step_name), el("td", {}, fmtShort(c.step_due_at)),
    el("td", {}, fmtShort(c.due_at)), el("td", {}, flag(c)))));
  if (!shown.length) $("#work-rows").append(el("tr", {}, el("td", {colspan: 8, class: "muted"}, "Không có hồ sơ cần giải quyết.")));
}

async function openCase(code) {
  openCode = code;
  say($("#c-msg"), ""); say($("#work-msg"), "");
  try {
    const r = await api("GET", `/api/v1/cases/${encodeURIComponent(code)}`);
    renderCase(r.case, r.history);
    await renderAgency(r.case, r.handovers);  // desk-agency.js
    show($("#worklist-card"), false); show($("#case-card"));
    history.replaceState(null, "", `?code=${encodeURIComponent(code)}`);
  } catch (e) { say($("#work-msg"), e.message); show($("#case-card"), false); show($("#worklist-card")); }
}

function renderCase(c, steps) {
  $("#c-code").textContent = c.code;
  $("#c-proc").textContent = c.procedure_name ? `${c.procedure_name} (${c.procedure_code})` : c.procedure_code;
  $("#c-channel").textContent = CHANNEL_VI[c.channel] || c.channel;
  $("#c-status").textContent = c.status_name;
  $("#c-due").textContent = fmtDateTime(c.due_at);
  $("#c-flag").replaceChildren(flag(c));
  show($("#c-apology"), !!c.new_appointment_at);
  $("#c-apology").textContent = c.new_appointment_at ? `Đã xin lỗi và hẹn lại: ${fmtDateTime(c.new_appointment_at)} — ${c.apology_reason || ""}` : "";
  $("#c-history").replaceChildren(...steps.map(h => el("tr", {},
    el("td", {}, h.seq), el("td", {}, fmtShort(h.occurred_at)),
    el("td", {}, (STEP_VI[h.event_type] || h.event_type) + (h.to_status ? ` → ${STATUS_VI[h.to_status]}` : "")),
    el("td", {}, h.actor === "system" ? "Hệ thống" : h.actor || ""), el("td", {}, REASON_VI[h.reason] || h.reason || ""))));
  // Only what the status graph allows this account now: the API says which.
  $("#c-actions").replaceChildren(...c.allowed_actions.map(a => el("button", {type: "button", dataset: {action: a},
    class: a === "stop" || a === "withdraw" ? "danger" : null, onclick: () => act(a)}, ACTION_VI[a] || a)));
  show($("#c-actions-box"), c.allowed_actions.length > 0);
  show($("#c-result-box"), c.allowed_actions.includes("resolve"));
  $("#c-result-file").value = "";
  show($("#apology-box"), c.may_apologise);
  $("#c-reason").value = "";
  renderForms(c, steps);  // forms 04 and 05 (forms.js)
  renderFee(c).catch(e => say($("#c-msg"), e.message));  // desk-fees.js
}

async function act(action) {
  const reason = $("#c-reason").value.trim();
  if (NEEDS_REASON.includes(action) && !reason) { say($("#c-msg"), "Vui lòng ghi nội dung, lý do cho thao tác này."); return; }
  const signed = action === "resolve" ? $("#c-result-file").files[0] : null;
  try {
    if (signed) {  // issue 15: the decision with its signed PDF, which the applicant downloads
      await api("POST", `/api/v1/results/${encodeURIComponent(openCode)}`,
                {kind: "electronic", pdf_base64: await base64Of(signed), reason: reason || null});
    } else {
      await api("POST", `/api/v1/cases/${encodeURIComponent(openCode)}/${action}`, {reason: reason || null, ...actionExtras(action)});
    }
    await openCase(openCode);
    say($("#c-msg"), `Đã thực hiện: ${ACTION_VI[action] || action}.`, "ok");
  } catch (e) { say($("#c-msg"), e.message); }
}

// A file's bytes in base64 (the result route takes JSON, as every other action does).
function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new ApiError(0, {error: {message_vi: "Không đọc được tệp đã chọn."}}));
    reader.readAsDataURL(file);
  });
}

async function apologise() {
  const reason = $("#ap-reason").value.trim(), local = $("#ap-date").value;
  if (!reason || !local) { say($("#c-msg"), "Vui lòng ghi lý do và chọn ngày, giờ hẹn trả mới."); return; }
  // The chosen time is Hà Nội time (UTC+7, no daylight saving), whatever the computer's zone.
  const at = `${local.length === 16 ? local + ":00" : local}+07:00`;
  try {
    await api("POST", `/api/v1/cases/${encodeURIComponent(openCode)}/apology`, {reason, new_appointment_at: at});
    await openCase(openCode);
    say($("#c-msg"), "Đã ban hành văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết.", "ok");
  } catch (e) { say($("#c-msg"), e.message); }
}

async function start() {
  $("#sign-out").addEventListener("click", signOut);
  wireSignIn($("#sign-in"), enter);
  $("#only-late").addEventListener("change", renderWorklist);
  $("#reload").addEventListener("click", loadWorklist);
  // A dossier asked about by its code (the paper in hand) is opened directly, however long the list.
  $("#open-form").addEventListener("submit", ev => { ev.preventDefault(); const code = $("#open-code").value.trim(); if (code) openCase(code); });
  $("#ap-button").addEventListener("click", apologise);
  $("#back").addEventListener("click", async () => {
    show($("#case-card"), false); show($("#worklist-card")); history.replaceState(null, "", "/desk");
    document.body.classList.remove("printing-04", "printing-05");
    await loadWorklist();
  });
  const a = await currentAccount();
  if (a) enter(a);
}

start();
