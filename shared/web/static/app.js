// Shared helpers of every page: API calls, Vietnamese dates in Hà Nội time, safe DOM building.
"use strict";
const TZ = "Asia/Ho_Chi_Minh";
const STATUS_VI = {1: "Mới đăng ký", 2: "Được tiếp nhận", 3: "Không được tiếp nhận", 4: "Đang xử lý",
  5: "Yêu cầu bổ sung", 6: "Yêu cầu thực hiện nghĩa vụ tài chính", 7: "Công dân yêu cầu rút hồ sơ",
  8: "Dừng xử lý", 9: "Đã xử lý xong", 10: "Đã trả kết quả"};
const CHANNEL_VI = {counter: "Trực tiếp", online: "Trực tuyến", post: "Bưu chính"};

class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message_vi || `Lỗi ${status}`);
    this.status = status; this.body = body;
  }
}

async function api(method, url, body, {form} = {}) {
  const opts = {method, credentials: "same-origin", headers: {"Accept": "application/json"}};
  if (form) { opts.body = form; }
  else if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  let resp;
  try { resp = await fetch(url, opts); }
  catch (e) { throw new ApiError(0, {error: {message_vi: "Không kết nối được máy chủ. Vui lòng thử lại."}}); }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

// "10 giờ 00 phút, thứ Tư, ngày 02/12/2026" (Hà Nội time)
function fmtDateTime(iso, {withWeekday = true} = {}) {
  if (!iso) return "—";
  const d = new Date(iso);
  const p = Object.fromEntries(new Intl.DateTimeFormat("vi-VN", {timeZone: TZ, weekday: "long", day: "2-digit",
    month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false})
    .formatToParts(d).map(x => [x.type, x.value]));
  const wd = withWeekday ? `${p.weekday}, ` : "";
  return `${p.hour} giờ ${p.minute} phút, ${wd}ngày ${p.day}/${p.month}/${p.year}`;
}
function fmtShort(iso) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat("vi-VN", {timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false}).format(new Date(iso));
}
function fmtDay(isoDay) { const [y, m, d] = isoDay.split("-"); return `${d}/${m}`; }
function fmtMoney(vnd) { return vnd ? new Intl.NumberFormat("vi-VN").format(vnd) + " đồng" : "Không thu phí"; }
function fmtNumber(n) { return new Intl.NumberFormat("vi-VN").format(n); }
function fmtHours(h, type) {
  if (h === 0) return "Trong ngày";
  if (type === "calendar") return `${h / 24} ngày`;
  return h % 8 === 0 ? `${h / 8} ngày làm việc` : `${h} giờ làm việc`;
}

// el("p", {class: "x", onclick: f}, "text", child): text is always text, never HTML.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false)
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
// svg("rect", {x: 1}, child): the same for the charts, drawn by hand (no chart library to load).
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
function $(sel, root = document) { return root.querySelector(sel); }
// The applicant's choice of notices (e-mail, SMS) from the boxes #<prefix>-notify-email and -sms.
function notifyChoice(prefix) { return ["email", "sms"].filter(c => $(`#${prefix}-notify-${c}`).checked); }
function show(node, on = true) { node.hidden = !on; }
function say(node, message, kind = "error") {
  node.textContent = message || ""; node.className = `notice ${kind}`; node.hidden = !message;
}

// Staff sign-in shared by the counter and the desk: resolves with the account.
async function currentAccount() {
  try { return (await api("GET", "/api/v1/session")).account; }
  catch (e) { if (e.status === 401) return null; throw e; }
}
function wireSignIn(form, onSignedIn) {
  const msg = $(".notice", form);
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    say(msg, "");
    try {
      const r = await api("POST", "/api/v1/session", {username: form.username.value, password: form.password.value});
      form.password.value = "";
      onSignedIn(r.account);
    } catch (e) { say(msg, e.message); }
  });
}
async function signOut() { await api("DELETE", "/api/v1/session"); location.reload(); }
