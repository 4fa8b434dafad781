// Fees on the desk (issue 15): the amount and collection moment asked for, the payment recorded,
// and what request-fee and record-payment send besides the reason.
"use strict";
const COLLECTION_VI = {at_intake: "Khi nộp hồ sơ", at_supplement: "Khi bổ sung hồ sơ", at_return: "Khi nhận kết quả"};
const METHOD_VI = {cash: "tiền mặt", online: "trực tuyến"};
let currentFee = null;

function vnd(n) { return n.toLocaleString("vi-VN") + " đồng"; }

function feeExtras(action) {
  if (action === "request-fee") return {amount: Number($("#c-fee-amount").value), collection: $("#c-fee-collection").value};
  if (action === "record-payment") {
    const receipt = $("#c-receipt").value.trim();
    return {method: "cash", amount: Number($("#c-paid-amount").value), receipt_no: receipt || null};
  }
  return {};
}

async function renderFee(c) {
  show($("#c-fee-box"), c.allowed_actions.includes("request-fee"));
  show($("#c-pay-box"), c.allowed_actions.includes("record-payment"));
  $("#c-fee-amount").value = ""; $("#c-receipt").value = "";
  currentFee = await api("GET", `/api/v1/cases/${encodeURIComponent(c.code)}/fee`);
  const f = currentFee;
  $("#c-paid-amount").value = f && !f.paid ? f.amount : "";
  show($("#c-fee"), !!f);
  if (!f) return;
  $("#c-fee").textContent = `Phí, lệ phí: ${vnd(f.amount)} — thu ${f.collection_vi.toLowerCase()}. ` + (f.paid
    ? `Đã nộp ${vnd(f.paid_amount)} (${METHOD_VI[f.paid_method]}), biên lai ${f.receipt_no}.` : "Chưa nộp.");
}
