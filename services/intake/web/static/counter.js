// The counter desk: a clerk receives dossiers, checks online ones, hands results back.
"use strict";
const DESK_ROLES = ["clerk", "leader"];
let account = null, procedures = [], byCode = {}, chosen = null, agencyNames = {};

function performedBy(p) {
  if (p.levels.includes("commune")) return "UBND cấp xã (mọi xã, phường)";
  return p.agencies.map(id => agencyNames[id] || id).join(", ");
}

function chooseAgency(p) {
  // The competent agency: the clerk's own when it performs the procedure; another commune's is
  // chosen when the papers are received on its behalf (receipt regardless of administrative boundary).
  const own = account.agency_id && p.agencies.includes(account.agency_id) ? account.agency_id : null;
  const options = p.agencies.map(id => el("option", {value: id}, agencyNames[id] || id));
  if (!own && p.agencies.length > 1) options.unshift(el("option", {value: ""}, "— Chọn cơ quan giải quyết —"));
  $("#a-agency").replaceChildren(...options);
  $("#a-agency").value = own || (p.agencies.length === 1 ? p.agencies[0] : "");
  $("#a-agency").disabled = p.agencies.length === 1;
  showOnBehalf();
}

function showOnBehalf() {
  const to = $("#a-agency").value, own = account.agency_id;
  const note = own && to && to !== own ? `Tiếp nhận hộ: hồ sơ do ${agencyNames[to] || to} giải quyết; mã hồ sơ theo ${agencyNames[own] || own}.` : "";
  $("#a-agency-note").textContent = note;
  show($("#a-agency-note"), !!note);
}

const fold = s => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
const procName = code => (byCode[code] && byCode[code].name) || code;
const codeLink = code => el("a", {href: `/counter/slip/${encodeURIComponent(code)}`}, code);

async function start() {
  $("#sign-out").addEventListener("click", signOut);
  wireSignIn($("#sign-in"), a => enter(a));
  document.querySelectorAll("nav.tabs button").forEach(b => b.addEventListener("click", () => openTab(b.dataset.tab)));
  $("#proc-search").addEventListener("input", renderCatalogue);
  $("#a-agency").addEventListener("change", showOnBehalf);
  $("#receive-form").addEventListener("submit", receive);
  $("#walk-in-refuse").addEventListener("click", askWalkInRefusal);
  $("#refuse-cancel").addEventListener("click", () => $("#refuse-dialog").close());
  $("#refuse-form").addEventListener("submit", refuse);
  const a = await currentAccount();
  if (a) enter(a);
}

async function enter(a) {
  const msg = $("#sign-in .notice");
  if (!DESK_ROLES.includes(a.role)) {
    say(msg, `Tài khoản ${a.username} (${a.role_name}) không phải cán bộ tiếp nhận. Vui lòng đăng nhập bằng tài khoản khác.`);
    return;
  }
  account = a;
  show($("#sign-in-card"), false); show($("#desk"));
  $("#who").textContent = `${a.full_name || a.username} — ${a.role_name}${a.agency_id ? " — " + a.agency_id : ""}`;
  show($("#who")); show($("#sign-out"));
  const cat = await api("GET", "/api/v1/procedures" + (a.agency_id ? `?agency=${encodeURIComponent(a.agency_id)}` : ""));
  agencyNames = Object.fromEntries(cat.agencies.map(x => [x.id, x.short_name || x.name]));
  procedures = cat.procedures.map(p => ({...p, agency_name: performedBy(p)}));
  byCode = Object.fromEntries(procedures.map(p => [p.code, p]));
  renderCatalogue();
  refreshLists();
}

function openTab(name) {
  document.querySelectorAll("nav.tabs button").forEach(b => b.setAttribute("aria-selected", b.dataset.tab === name));
  document.querySelectorAll("[data-panel]").forEach(p => show(p, p.dataset.panel === name));
  if (name !== "receive") refreshLists();
}

function renderCatalogue() {
  // Every word typed must appear, with or without diacritics, in any order.
  const words = fold($("#proc-search").value).split(/\s+/).filter(Boolean);
  const list = $("#proc-list");
  list.replaceChildren(...procedures
    .filter(p => { const hay = fold(`${p.name} ${p.code} ${p.field || ""} ${p.agency_name}`);
                   return words.every(w => hay.includes(w)); })
    .map(p => el("li", {dataset: {code: p.code}, class: chosen && chosen.code === p.code ? "chosen" : null,
                        onclick: () => choose(p), tabindex: "0", onkeydown: e => e.key === "Enter" && choose(p)},
      el("strong", {}, p.name),
      el("div", {class: "meta"}, `${p.code} · ${p.agency_name} · Thời hạn: ${fmtHours(p.processing_hours, p.time_type)}`
        + ` · Lệ phí: ${fmtMoney(p.fee_vnd)}`))));
  if (!list.children.length) list.append(el("li", {class: "muted"}, "Không tìm thấy thủ tục phù hợp."));
}

function choose(p) {
  chosen = p;
  renderCatalogue();
  $("#proc-name").textContent = p.name;
  $("#proc-meta").textContent = `Mã ${p.code} · ${p.agency_name} · Thời hạn giải quyết: ${fmtHours(p.processing_hours, p.time_type)}`
    + ` · Phí, lệ phí: ${fmtMoney(p.fee_vnd)}${p.fee_note ? " (" + p.fee_note + ")" : ""}`;
  chooseAgency(p);
  const docs = p.documents.length ? p.documents : ["Đơn đề nghị"];
  $("#doc-checklist").replaceChildren(...docs.map((d, i) =>
    el("label", {class: "check"}, el("input", {type: "checkbox", name: "doc", value: d, id: `doc-${i}`}), d)));
  $("#doc-digitisation").replaceChildren(...docs.map(docRow));
  show($("#receive-form"));
  say($("#receive-msg"), "");
  $("#a-name").focus();
}

// How each document of the list was digitised (issue 15): scanned here (its file chosen beside it),
// reused from an earlier dossier of the same applicant (its code), or paper. Sent for those received.
function docRow(d, i) {
  const file = el("input", {type: "file", class: "doc-file", id: `doc-file-${i}`, accept: "application/pdf,image/jpeg,image/png",
    "aria-label": `Tệp quét: ${d}`, hidden: true});
  const from = el("input", {type: "text", class: "doc-from", id: `doc-from-${i}`, maxlength: 64,
    placeholder: "Mã hồ sơ trước", "aria-label": `Mã hồ sơ có bản số hóa: ${d}`, hidden: true});
  const kind = el("select", {class: "doc-kind", id: `doc-kind-${i}`, "aria-label": `Số hóa: ${d}`,
      onchange: () => { show(file, kind.value === "scanned"); show(from, kind.value === "reused"); }},
    el("option", {value: "paper"}, "Bản giấy"), el("option", {value: "scanned"}, "Quét tại quầy"),
    el("option", {value: "reused"}, "Dùng lại bản số hóa"));
  return el("div", {class: "doc-row", dataset: {doc: d}}, el("span", {class: "doc-name"}, d), kind, file, from);
}

function receivedDocs() {
  return [...document.querySelectorAll("#doc-digitisation .doc-row")].filter((r, i) => $(`#doc-${i}`).checked);
}

function dossierBody() {
  const opt = id => $(id).value.trim() || null;
  return {procedure_code: chosen.code, agency_id: $("#a-agency").value || null, channel: $("#a-channel").value,
    applicant: {name: $("#a-name").value.trim(), id_number: $("#a-id").value.trim(), phone: opt("#a-phone"),
                email: opt("#a-email"), address: opt("#a-address"), notify: notifyChoice("a")},
    documents: receivedDocs().map(r => r.dataset.doc)};
}

// The marks of the received documents, and the scans in their order; a message when one is incomplete.
function digitisation() {
  const marks = [], scans = [];
  for (const r of receivedDocs()) {
    const kind = r.querySelector(".doc-kind").value;
    if (kind === "scanned") {
      const f = r.querySelector(".doc-file").files[0];
      if (!f) return {problem: `Chưa chọn tệp quét cho thành phần: ${r.dataset.doc}`};
      scans.push(f);
      marks.push({kind});
    } else if (kind === "reused") {
      const code = r.querySelector(".doc-from").value.trim();
      if (!code) return {problem: `Chưa nhập mã hồ sơ trước cho thành phần: ${r.dataset.doc}`};
      marks.push({kind, reused_from: code});
    } else marks.push({kind});
  }
  return {marks, scans};
}

function askWalkInRefusal() {
  // The applicant's details are needed on form 03 too; the documents may be missing, that is the point.
  if (!$("#receive-form").reportValidity()) return;
  $("#refuse-code").textContent = "";
  $("#refuse-form").dataset.code = "";
  $("#refuse-reason").value = "";
  say($("#refuse-msg"), "");
  $("#refuse-dialog").showModal();
}

async function receive(ev) {
  ev.preventDefault();
  const body = dossierBody();
  if (!body.documents.length) { say($("#receive-msg"), "Vui lòng đánh dấu ít nhất một thành phần hồ sơ đã nhận."); return; }
  const {marks, scans, problem} = digitisation();
  if (problem) { say($("#receive-msg"), problem); return; }
  body.digitisation = marks;
  const button = $("#receive-button");
  button.disabled = true;
  try {
    let d;
    if (scans.length) {  // the scans go with the dossier, in one request (stored in one transaction)
      const form = new FormData();
      form.append("dossier", JSON.stringify(body));
      scans.forEach(f => form.append("files", f));
      d = await api("POST", "/api/v1/uploads/counter", undefined, {form});
    } else d = await api("POST", "/api/v1/dossiers", body);
    location.assign(`/counter/slip/${encodeURIComponent(d.code)}`);
  } catch (e) { say($("#receive-msg"), e.message); button.disabled = false; }
}

async function refreshLists() {
  const [queue, all, waiting] = await Promise.all([
    api("GET", "/api/v1/dossiers?status=1&limit=200"), api("GET", "/api/v1/dossiers?limit=300"),
    api("GET", "/api/v1/dossiers?status=9&limit=200")]);
  $("#queue-count").textContent = queue.length;
  $("#handback-count").textContent = waiting.length;
  $("#queue-rows").replaceChildren(...queue.map(d => el("tr", {dataset: {code: d.code}},
    el("td", {}, d.code), el("td", {}, procName(d.procedure_code)), el("td", {}, d.applicant_name),
    el("td", {}, fmtShort(d.submitted_at)), el("td", {class: "files"}, "…"),
    el("td", {}, el("div", {class: "actions"},
      el("button", {type: "button", class: "accept", onclick: () => accept(d.code)}, "Tiếp nhận"),
      el("button", {type: "button", class: "secondary supplement", onclick: () => askSupplement(d)}, "Yêu cầu bổ sung"),
      el("button", {type: "button", class: "danger refuse", onclick: () => askRefusal(d.code)}, "Từ chối"))))));
  queue.forEach(d => showFiles(d.code));
  if (!queue.length) $("#queue-rows").append(el("tr", {}, el("td", {colspan: 6, class: "muted"}, "Không có hồ sơ chờ tiếp nhận.")));
  const today = new Intl.DateTimeFormat("en-CA", {timeZone: TZ}).format(new Date());
  const todays = all.filter(d => new Intl.DateTimeFormat("en-CA", {timeZone: TZ}).format(new Date(d.submitted_at)) === today);
  $("#today-rows").replaceChildren(...todays.map(d => el("tr", {dataset: {code: d.code}},
    el("td", {}, d.due_at ? codeLink(d.code) : d.code), el("td", {}, procName(d.procedure_code)),
    el("td", {}, d.applicant_name), el("td", {}, CHANNEL_VI[d.channel] || d.channel),
    el("td", {}, el("span", {class: "badge"}, d.status_name)), el("td", {}, fmtShort(d.new_appointment_at || d.due_at)),
    el("td", {}, d.due_at ? el("a", {href: `/counter/slip/${encodeURIComponent(d.code)}`}, "Giấy hẹn")
      : d.status === 3 ? el("a", {href: `/counter/refusal/${encodeURIComponent(d.code)}`}, "Phiếu từ chối")
      : d.status === 5 ? el("a", {href: `/counter/supplement/${encodeURIComponent(d.code)}`}, "Phiếu 02") : ""))));
  if (!todays.length) $("#today-rows").append(el("tr", {}, el("td", {colspan: 7, class: "muted"}, "Chưa có hồ sơ nào hôm nay.")));
  $("#handback-rows").replaceChildren(...waiting.map(d => el("tr", {dataset: {code: d.code}},
    el("td", {}, d.code), el("td", {}, procName(d.procedure_code)), el("td", {}, d.applicant_name),
    el("td", {}, fmtShort(d.due_at)),
    el("td", {}, el("button", {type: "button", class: "handback", onclick: () => handBack(d.code)}, "Trả kết quả")))));
  if (!waiting.length) $("#handback-rows").append(el("tr", {}, el("td", {colspan: 5, class: "muted"}, "Không có kết quả chờ trả.")));
  refreshWaitingForPapers();
}

async function showFiles(code) {
  const cell = $(`#queue-rows tr[data-code="${CSS.escape(code)}"] .files`);
  try {
    const files = await api("GET", `/api/v1/dossiers/${encodeURIComponent(code)}/attachments`);
    cell.replaceChildren(...(files.length ? files.map(f => el("div", {}, el("a",
      {href: `/api/v1/dossiers/${encodeURIComponent(code)}/attachments/${f.id}`}, f.filename))) : ["Không có tệp"]));
  } catch (e) { cell.textContent = "—"; }
}

async function accept(code) {
  try {
    await api("POST", `/api/v1/dossiers/${encodeURIComponent(code)}/accept`, {});
    location.assign(`/counter/slip/${encodeURIComponent(code)}`);
  } catch (e) { say($("#queue-msg"), e.message); }
}

function askRefusal(code) {
  $("#refuse-code").textContent = code;
  $("#refuse-form").dataset.code = code;
  $("#refuse-reason").value = "";
  say($("#refuse-msg"), "");
  $("#refuse-dialog").showModal();
}

async function refuse(ev) {
  ev.preventDefault();
  const code = $("#refuse-form").dataset.code, reason = $("#refuse-reason").value.trim();
  if (!reason) { say($("#refuse-msg"), "Vui lòng nêu lý do từ chối."); return; }
  try {
    const d = code ? await api("POST", `/api/v1/dossiers/${encodeURIComponent(code)}/refuse`, {reason})
                   : await api("POST", "/api/v1/counter-refusals", {...dossierBody(), reason});
    location.assign(`/counter/refusal/${encodeURIComponent(d.code)}`);
  } catch (e) { say($("#refuse-msg"), e.message); }
}

async function handBack(code) {
  try {
    await api("POST", `/api/v1/dossiers/${encodeURIComponent(code)}/return-result`);
    say($("#handback-msg"), `Đã trả kết quả hồ sơ ${code}.`, "ok");
    const row = $(`#handback-rows tr[data-code="${CSS.escape(code)}"]`);
    if (row) row.remove();
  } catch (e) { say($("#handback-msg"), e.message); }
}

start();
