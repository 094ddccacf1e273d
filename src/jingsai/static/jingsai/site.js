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
  var status = event.detail.xhr.status;
  box.textContent = document.documentElement.lang.indexOf("zh") === 0
    ? "操作未成功（" + status + "），请刷新页面后重试。"
    : "The request failed (" + status + "). Reload the page and try again.";
  setTimeout(function () { box.remove(); }, 6000);
});
