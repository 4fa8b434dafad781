// The desk's printed forms (Circular 03/2025/TT-VPCP, Appendix I): 04 (Văn bản xin lỗi và đề nghị gia
// hạn thời gian giải quyết) once an apology was issued,
// 05 (Thông báo dừng giải quyết hồ sơ) once processing stopped. Loaded before desk.js, which calls
// renderForms(case, controlSlip) whenever it shows a case.
//
// The addressee: resolution holds no personal data (the applicant stays in intake), so the forms
// name the applicant by the dossier's code and leave a line for the name the counter writes in
// when it hands the paper over (docs/decisions.md).
"use strict";
const STOP_REASON_VI = {"supplement_not_provided":
  "quá thời hạn bổ sung, hoàn thiện hồ sơ theo Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ mà Ông/Bà chưa bổ sung"};

function formDate(iso) {
  const t = new Date(iso);
  const part = k => new Intl.DateTimeFormat("vi-VN", {timeZone: TZ, [k]: k === "year" ? "numeric" : "2-digit"}).format(t);
  return `ngày ${part("day")} tháng ${part("month")} năm ${part("year")}`;
}

function fillShared(root, c, agencyName, today) {
  const agency = agencyName || c.agency_id;
  root.querySelectorAll(".f-agency").forEach(n => { n.textContent = agency; });
  root.querySelectorAll(".f-agency-upper").forEach(n => { n.textContent = agency.toUpperCase(); });
  root.querySelectorAll(".f-proc").forEach(n => { n.textContent = c.procedure_name || c.procedure_code; });
  root.querySelectorAll(".f-addressee").forEach(n => {
    n.textContent = `Ông/Bà ……………………………… (người nộp hồ sơ mã ${c.code})`; });
  root.querySelectorAll(".f-today").forEach(n => { n.textContent = `Hà Nội, ${formDate(today)}`; });
}

// What an action sends besides its reason: the papers a request for a supplement names (form 02).
function actionExtras(action) {
  if (action !== "request-supplement") return feeExtras(action);  // desk-fees.js
  return {missing_documents: $("#c-missing").value.split("\n").map(s => s.trim()).filter(Boolean)};
}

async function renderForms(c, steps) {
  show($("#c-missing-box"), c.allowed_actions.includes("request-supplement"));
  $("#c-missing").value = "";
  const stop = c.status === 8 ? [...steps].reverse().find(h => h.event_type === "dossier.stopped") : null;
  const apology = !!c.new_appointment_at && !stop;
  show($("#form04"), apology);
  show($("#form05"), !!stop);
  document.body.classList.toggle("printing-04", apology);
  document.body.classList.toggle("printing-05", !!stop);
  if (!apology && !stop) return;
  let agencyName = null;
  try { agencyName = (await api("GET", `/api/v1/cases/${encodeURIComponent(c.code)}/forms`)).agency_name; }
  catch (e) { agencyName = null; }  // the agency's code stands in for its name
  if (apology) {
    const form = $("#form04");
    const issued = [...steps].reverse().find(h => h.event_type === "dossier.apology_issued");
    fillShared(form, c, agencyName, issued ? issued.occurred_at : new Date().toISOString());
    $("#f-code").textContent = c.code;
    $("#f-accepted").textContent = fmtDateTime(c.accepted_at); $("#f-due").textContent = fmtDateTime(c.due_at);
    $("#f-reason").textContent = c.apology_reason || ""; $("#f-new").textContent = fmtDateTime(c.new_appointment_at);
  }
  if (stop) {
    const form = $("#form05");
    fillShared(form, c, agencyName, stop.occurred_at);
    $("#f5-code").textContent = c.code;
    $("#f5-accepted").textContent = fmtDateTime(c.accepted_at);
    $("#f5-date").textContent = fmtDateTime(stop.occurred_at);
    $("#f5-reason").textContent = STOP_REASON_VI[stop.reason] || stop.reason || "";
    $("#f5-actor").textContent = stop.actor === "system" ? "" : stop.actor || "";
  }
}

document.querySelectorAll(".print-form").forEach(b => b.addEventListener("click", () => window.print()));
