// The printable forms' "In phiếu" button (no inline script on the forms).
"use strict";
const printButton = document.getElementById("print");
if (printButton) printButton.addEventListener("click", () => window.print());
