// The fee on the tracking view (issue 15): how much and when, "Thanh toán trực tuyến" through the
// gateway, and the e-receipt once paid. To come back to the same view after the gateway, the code,
// ID number and secret wait in this tab's sessionStorage (never in a URL) and are removed on return.
"use strict";
const FEE_WHEN_VI = {at_intake: "khi nộp hồ sơ", at_supplement: "khi bổ sung hồ sơ", at_return: "khi nhận kết quả"};
const PAYMENT_VI = {paid: "Thanh toán thành công. Cảm ơn ông/bà đã nộp phí.",
  failed: "Giao dịch thanh toán chưa thành công; ông/bà có thể thanh toán lại.",
  invalid: "Kết quả trả về từ cổng thanh toán không hợp lệ; vui lòng tra cứu lại hồ sơ."};
const WAITING_KEY = "dvc-payment";

function renderFee(cur) {
  const f = cur.fee, d = cur.dossier;
  show($("#r-fee"), !!f);
  if (!f) return;
  $("#r-fee-amount").textContent = f.amount.toLocaleString("vi-VN") + " đồng";
  $("#r-fee-when").textContent = FEE_WHEN_VI[f.collection] || f.collection;
  $("#r-fee-state").textContent = f.paid
    ? `Đã nộp phí (${f.paid_method === "online" ? "trực tuyến" : "tiền mặt"}), biên lai số ${f.receipt_no}` : "Chưa nộp phí";
  show($("#pay-button"), !f.paid && d.status === 6);
  const form = $("#receipt-form");
  form.action = `/portal/receipt/${encodeURIComponent(cur.code)}`;
  form.elements.id_number.value = cur.idNumber; form.elements.pin.value = cur.pin;
  show(form, f.paid);
}

async function pay() {
  try {
    const r = await api("POST", `/api/v1/dossiers/${encodeURIComponent(current.code)}/payment`,
                        {id_number: current.idNumber, pin: current.pin});
    sessionStorage.setItem(WAITING_KEY, JSON.stringify({code: current.code, idNumber: current.idNumber, pin: current.pin}));
    location.assign(r.redirect_url);
  } catch (e) { say($("#action-msg"), e.message); }
}

async function backFromGateway(trackNow) {
  const outcome = new URLSearchParams(location.search).get("payment");
  const saved = sessionStorage.getItem(WAITING_KEY);
  sessionStorage.removeItem(WAITING_KEY);
  if (!outcome || !saved) return;
  const w = JSON.parse(saved);
  $("#t-code").value = w.code; $("#t-id").value = w.idNumber; $("#t-pin").value = w.pin;
  await trackNow();
  say($("#action-msg"), PAYMENT_VI[outcome] || PAYMENT_VI.invalid, outcome === "paid" ? "ok" : "error");
}
