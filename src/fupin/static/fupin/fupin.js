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
