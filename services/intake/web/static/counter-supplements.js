// The counter's form 02 (missing papers before acceptance) and form 07 (the logbook export).
// Loaded after counter.js, whose helpers and state (chosen, byCode, dossierBody, procName) it uses.
"use strict";
let supplementFor = null;  // the queued dossier asked about; null: the walk-in on the reception form

function docsOf(procedureCode) {
  const p = byCode[procedureCode];
  return p && p.documents.length ? p.documents : ["Đơn đề nghị"];
}

function openSupplementDialog(code, documents, missingFirst) {
  $("#supplement-code").textContent = code || "";
  $("#supplement-checklist").replaceChildren(...documents.map((d, i) => el("label", {class: "check"},
    el("input", {type: "checkbox", name: "missing", value: d, id: `missing-${i}`, checked: missingFirst(d) ? true : null}), d)));
  $("#supplement-other").value = "";
  $("#supplement-reason").value = "";
  say($("#supplement-msg"), "");
  $("#supplement-dialog").showModal();
}

function askSupplement(d) {
  supplementFor = d.code;
  openSupplementDialog(d.code, docsOf(d.procedure_code), () => false);
}

function askWalkInSupplement() {
  // The applicant's details go on form 02; the papers not ticked as received are offered as missing.
  if (!chosen || !$("#receive-form").reportValidity()) return;
  supplementFor = null;
  const received = new Set([...document.querySelectorAll("#doc-checklist input:checked")].map(i => i.value));
  openSupplementDialog("", docsOf(chosen.code), d => !received.has(d));
}

async function requestSupplement(ev) {
  ev.preventDefault();
  const missing = [...document.querySelectorAll("#supplement-checklist input:checked")].map(i => i.value)
    .concat($("#supplement-other").value.split("\n").map(s => s.trim()).filter(Boolean));
  if (!missing.length) { say($("#supplement-msg"), "Vui lòng đánh dấu ít nhất một giấy tờ cần bổ sung."); return; }
  const extra = {missing_documents: missing, reason: $("#supplement-reason").value.trim() || null};
  const button = $("#supplement-confirm");
  button.disabled = true;
  try {
    const d = supplementFor
      ? await api("POST", `/api/v1/dossiers/${encodeURIComponent(supplementFor)}/request-supplement`, extra)
      : await api("POST", "/api/v1/counter-supplements", {...dossierBody(), ...extra});
    location.assign(`/counter/supplement/${encodeURIComponent(d.code)}`);
  } catch (e) { say($("#supplement-msg"), e.message); button.disabled = false; }
}

async function refreshWaitingForPapers() {
  // Status 5 before acceptance only: after acceptance resolution asks and records the papers.
  const rows = (await api("GET", "/api/v1/dossiers?status=5&limit=200")).filter(d => !d.accepted_at);
  $("#waiting-count").textContent = rows.length;
  $("#waiting-rows").replaceChildren(...rows.map(d => el("tr", {dataset: {code: d.code}},
    el("td", {}, d.code), el("td", {}, procName(d.procedure_code)), el("td", {}, d.applicant_name),
    el("td", {}, fmtShort(d.submitted_at)),
    el("td", {}, el("div", {class: "actions"},
      el("a", {class: "button secondary", href: `/counter/supplement/${encodeURIComponent(d.code)}`}, "Phiếu 02"),
      el("button", {type: "button", class: "record-supplement", onclick: () => recordSupplement(d.code)}, "Đã bổ sung, tiếp nhận"))))));
  if (!rows.length) $("#waiting-rows").append(el("tr", {}, el("td", {colspan: 5, class: "muted"}, "Không có hồ sơ chờ bổ sung.")));
}

async function recordSupplement(code) {
  try {
    await api("POST", `/api/v1/dossiers/${encodeURIComponent(code)}/record-supplement`, {});
    location.assign(`/counter/slip/${encodeURIComponent(code)}`);
  } catch (e) { say($("#waiting-msg"), e.message); }
}

function logbookLinks() {
  const from = $("#lb-from").value, to = $("#lb-to").value;
  for (const format of ["xlsx", "csv"]) {
    const a = $(`#lb-${format}`);
    a.href = from && to ? `/api/v1/logbook?from=${from}&to=${to}&format=${format}` : "#";
    a.setAttribute("download", `so-theo-doi-ho-so-${from}-${to}.${format}`);
  }
}

(function wireSupplements() {
  $("#walk-in-supplement").addEventListener("click", askWalkInSupplement);
  $("#supplement-form").addEventListener("submit", requestSupplement);
  $("#supplement-cancel").addEventListener("click", () => $("#supplement-dialog").close());
  const today = new Intl.DateTimeFormat("en-CA", {timeZone: TZ}).format(new Date());
  $("#lb-from").value = today.slice(0, 8) + "01";
  $("#lb-to").value = today;
  $("#lb-from").addEventListener("change", logbookLinks);
  $("#lb-to").addEventListener("change", logbookLinks);
  logbookLinks();
})();
