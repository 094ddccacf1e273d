// The mark entry page: every mark is saved as it is given, and survives a lost connection.
//
// A tap puts the mark in a queue kept in localStorage (per user, across stations), with a
// key made on this device and the time it was given; the queue is sent in order, one mark
// at a time, whenever the server can be reached. The server records each key once and
// never lets a mark given earlier replace one given later, so sending again after a lost
// answer duplicates nothing. A refused mark (locked, out of range, not allowed: an answer
// with a `code`) leaves the queue with its reason shown; anything else stays queued and is
// retried. A 403 without a code is the security (CSRF) check, not a refusal of the mark:
// the queue is kept, the token renewed from the cookie or the page, and when that does not
// help the judge is asked to reload the page.
(function () {
  "use strict";

  var page = document.getElementById("marking") || document.getElementById("marking-queue");
  if (!page) return;
  var texts = JSON.parse(document.getElementById("marking-text").textContent);
  var QUEUE = "jingsai.marks." + page.dataset.user;
  var csrf = page.dataset.csrf;
  var stationUrl = page.dataset.url || null;
  var sending = false;
  var RETRY_MS = 3000;
  var csrfFailures = 0;

  // Where this browser keeps no site data (storage turned off, or full), the queue lives in
  // the page instead: marks are still sent and retried, but do not outlast a reload.
  var inPage = null;

  function load() {
    if (inPage) return inPage.slice();
    try { return JSON.parse(localStorage.getItem(QUEUE) || "[]") || []; } catch (e) { return []; }
  }
  function store(queue) {
    if (!inPage) {
      try { localStorage.setItem(QUEUE, JSON.stringify(queue)); return; } catch (e) { /* kept in the page */ }
    }
    inPage = queue.slice();
  }
  function drop(key) { store(load().filter(function (item) { return item.key !== key; })); }

  function cookieToken() {
    var found = document.cookie.split(";").map(function (part) { return part.trim(); })
      .filter(function (part) { return part.indexOf("csrftoken=") === 0; })[0];
    return found ? decodeURIComponent(found.slice("csrftoken=".length)) : "";
  }
  function token() { return cookieToken() || csrf; }

  function showReload(visible) {
    var banner = document.getElementById("reload-banner");
    if (banner) banner.classList.toggle("d-none", !visible);
  }

  // A fresh token: the page again (which also sets the cookie when it was lost).
  function renewToken() {
    return fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error("no page");
        return response.text();
      }).then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-csrf]");
        if (!fresh || !fresh.dataset.csrf) throw new Error("no token");
        csrf = fresh.dataset.csrf;
      });
  }

  function csrfRefused(body) {
    return !body || !body.code || /csrf/i.test(String(body.detail || ""));
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 15) | 64;
    bytes[8] = (bytes[8] & 63) | 128;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function sections() { return Array.prototype.slice.call(document.querySelectorAll("#marking .aspect")); }
  function sectionFor(aspect) {
    return sections().filter(function (s) { return s.dataset.aspect === aspect; })[0] || null;
  }

  function show(section, value, state, message) {
    section.dataset.value = value;
    section.dataset.state = state;
    section.querySelectorAll(".choice").forEach(function (button) {
      var selected = value !== "" && Number(button.dataset.value) === Number(value);
      button.classList.toggle("selected", selected);
      button.setAttribute("aria-pressed", selected ? "true" : "false");
    });
    var input = section.querySelector("input");
    if (input && document.activeElement !== input) input.value = value;
    section.querySelector(".state").textContent = message || texts[state] || "";
    refreshCounts();
  }

  function refreshCounts() {
    var queue = load();
    var queueCount = document.getElementById("queue-count");
    if (queueCount) {
      queueCount.textContent = queue.length;
      document.getElementById("queue-banner").classList.toggle("d-none", queue.length === 0);
    }
    var missing = sections().filter(function (s) { return s.dataset.value === ""; });
    var missingCount = document.getElementById("missing-count");
    if (missingCount) {
      missingCount.textContent = missing.length;
      document.getElementById("missing-list").textContent =
        missing.map(function (s) { return s.dataset.aspect; }).join("、");
      document.getElementById("missing-banner").className =
        "alert py-2 " + (missing.length ? "alert-info" : "alert-success");
    }
  }

  function setNetwork(online) {
    var badge = document.getElementById("net-status");
    if (!badge) return;
    badge.textContent = online ? texts.online : texts.offline;
    badge.className = "badge " + (online ? "text-bg-success" : "text-bg-danger");
  }

  function give(section, value) {
    if (section.dataset.locked === "1") {
      show(section, section.dataset.server, "error", texts.locked);
      return;
    }
    var queue = load();
    queue.push({
      key: newKey(), url: stationUrl, aspect: section.dataset.aspect, value: String(value),
      entered_at: new Date().toISOString()
    });
    store(queue);
    show(section, String(value), "queued");
    flush();
  }

  function stillQueued(item) {
    return load().some(function (other) { return other.url === item.url && other.aspect === item.aspect; });
  }

  function answered(item, status, body) {
    var section = item.url === stationUrl ? sectionFor(item.aspect) : null;
    if (status === 200) {
      drop(item.key);
      if (section) {
        section.dataset.server = body.value;
        section.dataset.locked = body.locked ? "1" : "0";
        if (!body.rescore_requested) {
          var flag = section.querySelector(".rescore");
          if (flag) flag.remove();
        }
        if (!stillQueued(item)) show(section, body.value, body.outcome === "stale" ? "stale" : "saved");
      }
      return true;
    }
    if (status === 403 && csrfRefused(body)) return false;  // the security check: keep the whole queue
    if (status === 400 || status === 403 || status === 404 || status === 409 || status === 422) {
      drop(item.key);
      if (section && !stillQueued(item)) {
        show(section, section.dataset.server, "error", (body && body.detail) || texts.refused);
      }
      return true;
    }
    return false;  // 401 (logged out), 5xx: keep it and try again
  }

  function flush() {
    if (sending) return;
    var queue = load();
    refreshCounts();
    if (!queue.length) return;
    var item = queue[0];
    sending = true;
    fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token(), "X-Jingsai-Page": "1"},
      body: JSON.stringify({aspect: item.aspect, value: item.value, key: item.key, entered_at: item.entered_at})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return {status: response.status, body: body};
      });
    }).then(function (result) {
      sending = false;
      setNetwork(true);
      if (result.status === 403 && csrfRefused(result.body)) {
        csrfFailures += 1;
        refreshCounts();
        if (csrfFailures === 1) {
          renewToken().then(flush, function () { showReload(true); });
        } else {
          showReload(true);  // kept; the interval tries again (a login in another tab renews the cookie)
        }
        return;
      }
      csrfFailures = 0;
      showReload(false);
      if (answered(item, result.status, result.body)) {
        flush();
      } else {
        if (result.status === 401) setNetwork(false);
        refreshCounts();
      }
    }).catch(function () {
      sending = false;
      setNetwork(false);
      refreshCounts();
    });
  }

  function valid(section, raw) {
    var text = raw.trim();
    if (!/^\d+(\.\d{1,3})?$/.test(text)) return texts.number;
    var max = Number(section.dataset.max);
    if (Number(text) > max) return texts.range.replace("%(max)s", section.dataset.max);
    return "";
  }

  sections().forEach(function (section) {
    section.querySelectorAll(".choice").forEach(function (button) {
      button.addEventListener("click", function () { give(section, button.dataset.value); });
    });
    var input = section.querySelector("input");
    section.querySelectorAll(".key").forEach(function (key) {
      key.addEventListener("click", function () {
        if (key.dataset.key === "back") input.value = input.value.slice(0, -1);
        else input.value += key.dataset.key;
      });
    });
    var save = section.querySelector(".save");
    if (save) {
      var submit = function () {
        var problem = valid(section, input.value);
        if (problem) { section.querySelector(".state").textContent = problem; return; }
        give(section, String(Number(input.value.trim())));
      };
      save.addEventListener("click", submit);
      input.addEventListener("keydown", function (event) { if (event.key === "Enter") submit(); });
    }
    var value = section.dataset.value;
    show(section, value, value === "" ? "" : "saved", value === "" ? "" : texts.saved);
  });

  // Marks of this station still in the queue (a reload while offline) are shown as queued.
  load().forEach(function (item) {
    if (item.url !== stationUrl) return;
    var section = sectionFor(item.aspect);
    if (section) show(section, item.value, "queued");
  });

  var reload = document.getElementById("reload-page");
  if (reload) reload.addEventListener("click", function () { window.location.reload(); });
  window.addEventListener("online", function () { setNetwork(true); flush(); });
  window.addEventListener("offline", function () { setNetwork(false); });
  setInterval(flush, RETRY_MS);
  refreshCounts();
  flush();
})();
