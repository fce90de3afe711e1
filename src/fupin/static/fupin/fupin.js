// fupin's own scripts. No inline scripts anywhere (the Content-Security-Policy forbids them).
document.addEventListener("change", function (event) {
  if (event.target.classList.contains("fp-autosubmit")) {
    event.target.form.submit();
  }
});
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
// A refusal (403) answered to an element that asks for it (data-fp-swap-refusal: the audit
// page's eye button) is swapped in like an answer: it carries the row with the reason.
document.addEventListener("htmx:beforeSwap", function (event) {
  var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (event.detail.xhr.status === 403 && elt && elt.hasAttribute("data-fp-swap-refusal")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
