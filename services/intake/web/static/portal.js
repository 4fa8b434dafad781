// The citizen portal: submit online with documents, track by code + ID number, supplement,
// withdraw, rate. Checks files before sending them so a mistake is told at once.
"use strict";
const MAX_FILE = 5 * 1024 * 1024, MAX_FILES = 10;
const TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"};
const STEP_VI = {
  "dossier.submitted": "Hồ sơ đã được nộp trực tuyến, chờ cán bộ tiếp nhận kiểm tra",
  "dossier.accepted": "Hồ sơ được tiếp nhận, bắt đầu tính thời hạn giải quyết",
  "dossier.refused": "Hồ sơ không được tiếp nhận",
  "dossier.processing_started": "Hồ sơ đang được cơ quan chuyên môn giải quyết",
  "dossier.supplement_requested": "Cơ quan giải quyết yêu cầu bổ sung hồ sơ",
  "dossier.fee_requested": "Yêu cầu thực hiện nghĩa vụ tài chính (nộp phí, lệ phí)",
  "dossier.withdrawn": "Hồ sơ đã được rút theo yêu cầu của người nộp",
  "dossier.stopped": "Cơ quan giải quyết dừng xử lý hồ sơ",
  "dossier.resolved": "Đã có kết quả, mời nhận tại Bộ phận Một cửa",
  "dossier.returned": "Đã trả kết quả",
  "dossier.overdue": "Hồ sơ đã quá thời hạn giải quyết",
  "dossier.rated": "Người nộp đã đánh giá mức độ hài lòng",
  "dossier.apology_issued": "Cơ quan giải quyết xin lỗi và hẹn lại ngày trả kết quả",
  "dossier.assigned": "Hồ sơ được chuyển đến cán bộ giải quyết",
  "dossier.approved": "Lãnh đạo cơ quan đã phê duyệt kết quả giải quyết",
  "dossier.sent_to_agency": "Hồ sơ được chuyển sang cơ quan phối hợp giải quyết (liên thông)",
  "dossier.back_from_agency": "Cơ quan phối hợp đã trả kết quả, hồ sơ tiếp tục được giải quyết",
};
let procedures = [], current = null, score = 0;

function openTab(name) {
  document.querySelectorAll("nav.tabs button").forEach(b => b.setAttribute("aria-selected", b.dataset.tab === name));
  document.querySelectorAll("[data-panel]").forEach(p => show(p, p.dataset.panel === name));
}

function checkFiles(files, required) {
  if (required && !files.length) return "Vui lòng chọn ít nhất một tệp.";
  if (files.length > MAX_FILES) return `Chỉ được tải lên tối đa ${MAX_FILES} tệp mỗi lần.`;
  for (const f of files) {
    if (!TYPES[f.type]) return `Tệp "${f.name}" không đúng định dạng. Chỉ nhận PDF, JPG, PNG.`;
    if (f.size > MAX_FILE) return `Tệp "${f.name}" lớn hơn 5 MB. Vui lòng chọn tệp nhỏ hơn.`;
    if (!f.size) return `Tệp "${f.name}" rỗng.`;
  }
  return null;
}

function filesForm(idNumber, pin, files) {
  const form = new FormData();
  form.append("id_number", idNumber);
  form.append("pin", pin);
  for (const f of files) form.append("files", f, f.name);
  return form;
}

async function loadCatalogue() {
  const cat = await api("GET", "/api/v1/procedures");
  const agencies = Object.fromEntries(cat.agencies.map(a => [a.id, a.name]));
  procedures = cat.procedures;
  $("#proc-select").append(...procedures.map(p => el("option", {value: p.code},
    `${p.name} — ${agencies[p.agency_id] || p.agency_id}`)));
  $("#proc-select").addEventListener("change", () => {
    const p = procedures.find(x => x.code === $("#proc-select").value);
    show($("#submit-form"), !!p);
    if (!p) { $("#proc-info").textContent = ""; return; }
    const hours = p.online_processing_hours ?? p.processing_hours;
    $("#proc-info").textContent = `Mã ${p.code} · Thời hạn giải quyết: ${fmtHours(hours, p.time_type)} · Phí, lệ phí: `
      + `${fmtMoney(p.fee_vnd)} · Dịch vụ công trực tuyến ${p.online_level === "toan_trinh" ? "toàn trình" : "một phần"}`;
    $("#s-docs").replaceChildren(...p.documents.map(d => el("li", {}, d)));
  });
}

async function submit(ev) {
  ev.preventDefault();
  const msg = $("#submit-msg"), files = [...$("#s-files").files];
  const problem = checkFiles(files, false);
  if (problem) { say(msg, problem); return; }
  const p = procedures.find(x => x.code === $("#proc-select").value);
  const opt = id => $(id).value.trim() || null;
  const idNumber = $("#s-id").value.trim();
  $("#submit-button").disabled = true;
  try {
    const d = await api("POST", "/api/v1/dossiers", {procedure_code: p.code, channel: "online", documents: p.documents,
      applicant: {name: $("#s-name").value.trim(), id_number: idNumber, phone: opt("#s-phone"), email: opt("#s-email"),
                  address: opt("#s-address"), notify: notifyChoice("s")}});
    if (files.length) await api("POST", `/api/v1/uploads/${encodeURIComponent(d.code)}`, undefined,
                                {form: filesForm(idNumber, d.tracking_pin, files)});
    show($("#submit-form"), false); say(msg, "");
    const done = $("#submitted");
    done.replaceChildren(el("p", {}, "Đã nộp hồ sơ thành công. Mã hồ sơ của ông/bà là: ",
        el("strong", {id: "new-code"}, d.code)),
      el("p", {}, "Mã tra cứu (giữ bí mật, cần khi tra cứu, rút hồ sơ, nộp bổ sung, đánh giá): ",
        el("strong", {id: "new-pin"}, d.tracking_pin)),
      el("p", {}, "Vui lòng ghi lại mã hồ sơ và mã tra cứu. Cán bộ Bộ phận Một cửa sẽ kiểm tra và thông báo tiếp nhận."),
      el("button", {type: "button", onclick: () => { $("#t-code").value = d.code; $("#t-id").value = idNumber;
        $("#t-pin").value = d.tracking_pin;
        openTab("tra-cuu"); track(); }}, "Tra cứu hồ sơ này"));
    show(done);
  } catch (e) { say(msg, e.message); }
  finally { $("#submit-button").disabled = false; }
}

async function track(ev) {
  if (ev) ev.preventDefault();
  const code = $("#t-code").value.trim(), idNumber = $("#t-id").value.trim(), pin = $("#t-pin").value.trim();
  say($("#track-msg"), ""); say($("#action-msg"), "");
  try {
    const r = await api("POST", `/api/v1/dossiers/${encodeURIComponent(code)}/track`, {id_number: idNumber, pin});
    current = {code, idNumber, pin, ...r};
    render(r);
    renderFee(current);  // portal-payment.js
  } catch (e) { show($("#result"), false); say($("#track-msg"), e.message); }
}

function render({dossier: d, history}) {
  const p = procedures.find(x => x.code === d.procedure_code);
  $("#r-title").textContent = `Hồ sơ ${d.code}${p ? " — " + p.name : ""}`;
  $("#r-status").textContent = d.status_name;
  show($("#r-due-line"), !!d.due_at);
  $("#r-due").textContent = fmtDateTime(d.new_appointment_at || d.due_at);
  const apology = $("#r-apology");
  show(apology, !!d.new_appointment_at);
  if (d.new_appointment_at) apology.textContent = `Cơ quan giải quyết xin lỗi vì chưa trả kết quả đúng hẹn `
    + `(hẹn ban đầu: ${fmtDateTime(d.due_at)}) và hẹn lại vào ${fmtDateTime(d.new_appointment_at)}. `
    + `Lý do: ${d.apology_reason || ""}`;
  $("#r-history").replaceChildren(...history.map(h => el("li", {},
    el("strong", {}, STEP_VI[h.type] || h.status_name || h.type), el("br"),
    el("span", {class: "muted"}, fmtDateTime(h.occurred_at)),
    h.reason && ["dossier.refused", "dossier.supplement_requested", "dossier.fee_requested", "dossier.stopped",
                 "dossier.apology_issued"].includes(h.type)
      // a refusal's own words are intake's (the event carries a fixed phrase)
      ? el("div", {}, `Nội dung: ${h.type === "dossier.refused" && d.refusal_reason || h.reason}`) : null)));
  const lastAsk = [...history].reverse().find(h => h.type === "dossier.supplement_requested");
  $("#r-supplement-reason").textContent = lastAsk && lastAsk.reason ? `: ${lastAsk.reason}` : "";
  show($("#r-eresult"), d.result_kind === "electronic" && [9, 10].includes(d.status));
  show($("#eresult-file"), false);
  show($("#r-supplement"), d.status === 5);
  show($("#r-rating"), d.status === 10);
  show($("#r-withdraw"), [1, 2, 4, 5, 6].includes(d.status));
  show($("#result"));
}

async function act(method, path, body, opts, okText) {
  const msg = $("#action-msg");
  try {
    const url = path.startsWith("/") ? path : `/api/v1/dossiers/${encodeURIComponent(current.code)}/${path}`;
    const r = await api(method, url, body, opts);
    say(msg, okText || (r && r.message) || "Đã ghi nhận.", "ok");
    return true;
  } catch (e) { say(msg, e.message); return false; }
}

// The signed PDF, behind the same code, ID number and secret as tracking (a POST: the ID number
// stays out of URLs); saved under the name intake gives it.
async function downloadResult() {
  const msg = $("#action-msg");
  say(msg, "");
  let resp;
  try {
    resp = await fetch(`/api/v1/dossiers/${encodeURIComponent(current.code)}/result`, {method: "POST",
      credentials: "same-origin", headers: {"Content-Type": "application/json", "Accept": "application/pdf"},
      body: JSON.stringify({id_number: current.idNumber, pin: current.pin})});
  } catch (e) { say(msg, "Không kết nối được máy chủ. Vui lòng thử lại."); return; }
  if (!resp.ok) {
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    say(msg, new ApiError(resp.status, data).message);
    return;
  }
  const name = (/filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") || "") || [])[1] || "ket-qua.pdf";
  const link = $("#eresult-file");
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(await resp.blob());
  link.download = name;
  link.textContent = `Lưu tệp ${name}`;
  show(link);
  link.click();
}

async function supplement() {
  const files = [...$("#sup-files").files];
  const problem = checkFiles(files, true);
  if (problem) { say($("#action-msg"), problem); return; }
  if (await act("POST", `/api/v1/uploads/${encodeURIComponent(current.code)}/supplement`, undefined,
                {form: filesForm(current.idNumber, current.pin, files)},
                "Đã nộp bổ sung. Hồ sơ sẽ được tiếp tục giải quyết.")) show($("#r-supplement"), false);
}

async function withdraw() {
  await act("POST", "withdraw", {id_number: current.idNumber, pin: current.pin, reason: $("#wd-reason").value.trim() || null},
            {}, "Yêu cầu rút hồ sơ đã được ghi nhận.");
}

async function rate() {
  if (!score) { say($("#action-msg"), "Vui lòng chọn số sao (1 đến 5)."); return; }
  if (await act("POST", "rating", {id_number: current.idNumber, pin: current.pin, score, comment: $("#rate-comment").value.trim() || null},
                {}, "Cảm ơn ông/bà đã đánh giá.")) show($("#r-rating"), false);
}

function stars() {
  const box = $("#stars");
  const labels = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"];
  box.replaceChildren(...labels.map((l, i) => el("button", {type: "button", role: "radio", "aria-checked": "false",
    title: l, "aria-label": `${i + 1} sao: ${l}`, dataset: {score: i + 1}, onclick: () => {
      score = i + 1;
      box.querySelectorAll("button").forEach(b => b.setAttribute("aria-checked", Number(b.dataset.score) <= score));
    }}, "★")));
}

async function start() {
  document.querySelectorAll("nav.tabs button").forEach(b => b.addEventListener("click", () => openTab(b.dataset.tab)));
  $("#submit-form").addEventListener("submit", submit);
  $("#track-form").addEventListener("submit", track);
  $("#sup-button").addEventListener("click", supplement);
  $("#eresult-button").addEventListener("click", downloadResult);
  $("#wd-button").addEventListener("click", withdraw);
  $("#rate-button").addEventListener("click", rate);
  stars();
  const code = new URLSearchParams(location.search).get("code");
  const pin = location.hash.startsWith("#pin=") ? decodeURIComponent(location.hash.slice(5)) : "";
  if (code) $("#t-code").value = code;
  if (pin) $("#t-pin").value = pin;  // from the slip's QR code
  if (location.hash === "#tra-cuu" || code) { openTab("tra-cuu"); $("#t-id").focus(); }
  $("#pay-button").addEventListener("click", pay);
  await loadCatalogue();
  await backFromGateway(track);  // portal-payment.js
}

start();
