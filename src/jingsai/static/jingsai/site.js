// Small behaviours shared by every page. htmx sends the CSRF token from <body hx-headers>.
document.addEventListener("htmx:responseError", function (event) {
  var box = document.getElementById("htmx-error");
  if (!box) {
    box = document.createElement("div");
    box.id = "htmx-error";
    box.className = "alert alert-danger position-fixed bottom-0 end-0 m-3 shadow";
    box.setAttribute("role", "alert");
    document.body.appendChild(box);
  }
  var xhr = event.detail.xhr, status = xhr.status;
  var said = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0 && status < 500;
  // A refusal the server explains in plain text (say, no answer chosen yet) is shown as it is.
  box.textContent = said ? xhr.responseText
    : document.documentElement.lang.indexOf("zh") === 0
    ? "操作未成功（" + status + "），请刷新页面后重试。"
    : "The request failed (" + status + "). Reload the page and try again.";
  setTimeout(function () { box.remove(); }, 6000);
});
