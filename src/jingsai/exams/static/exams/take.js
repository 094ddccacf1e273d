// The exam page: every change (each keystroke too) goes at once into a queue kept in
// localStorage, and is sent to the server with a sequence number; the server keeps the
// highest per question. A dropped connection, a reload, a closed tab or a restarted
// server loses nothing: the queue is sent again (the same numbers, so a resend changes
// nothing) until the server has it. The numbers are milliseconds since the attempt began
// on the server's clock, so changes made in two tabs, or on an old phone and then a new
// one, are ordered by when they were made. The clock counts down from the time left that
// the server computed, and is set again by every heartbeat; at zero the page asks the
// server before handing in, in case the invigilator gave more time.
(function () {
  "use strict";
  // This device's time in ms, from a clock that does not jump when the device's clock is
  // set (the page's own start plus the time since); the countdown and the numbers use it.
  var perf = window.performance;
  function now() { return perf && perf.timeOrigin ? perf.timeOrigin + perf.now() : Date.now(); }
  var config = JSON.parse(document.getElementById("exam-config").textContent);
  var text = config.messages;
  var storeKey = "jingsai.exam." + config.attempt;
  var seqs = {};
  var queue = {};
  var sending = false;
  var blocked = false;
  var retryDelay = 1000;
  var retryTimer = null;  // one pending retry of a failed save at most
  var endAt = now() + config.remaining * 1000;
  var handingIn = false;
  var checkingTime = false;
  var askDelay = 3000;  // between asks at time-up while the server does not answer
  // The server's clock minus this device's: first from the page itself (too low by the
  // time the page took to arrive), then from the heartbeat with the shortest round trip.
  var clockOffset = config.now - now();
  var offsetRoundTrip = Infinity;
  var MAX_SEQ = 2147483647;  // the server's limit
  var typing = {};  // questions whose text is still being typed: sent when the typing pauses
  var announced = {};
  var BATCH = 50;  // answers per request
  var TIME_CHANGED = 30000;  // ms: more than a round trip's worth, so the invigilator gave or took time

  Object.keys(config.answers).forEach(function (pos) { seqs[pos] = config.answers[pos].seq; });

  // The queue is kept under the attempt's number, and marked with when the attempt began:
  // after a database is restored from a backup, numbers are handed out again, and a queue
  // an earlier attempt left on a shared computer must not be sent into a new one. A queue
  // without the mark (kept by the page before it had one) is taken as this attempt's.
  var OWNER = "started";

  // What the queue in localStorage holds; {} where storage cannot be read (private mode,
  // storage turned off, or written over by something else) or belongs to another attempt.
  function readStored() {
    try {
      var stored = JSON.parse(localStorage.getItem(storeKey) || "{}") || {};
      if (typeof stored !== "object" || Array.isArray(stored)) { return {}; }
      var owner = stored[OWNER];
      delete stored[OWNER];
      return owner === undefined || owner === config.started ? stored : {};
    } catch (e) { return {}; }
  }

  // The queue in localStorage, shared by every tab of this exam on this device: what another
  // tab stored that is newer than anything this one knows is kept, not written over.
  function persist() {
    try {
      var stored = readStored();
      var merged = {};
      Object.keys(stored).forEach(function (pos) {
        if (stored[pos] && stored[pos].seq > (seqs[pos] || 0)) { merged[pos] = stored[pos]; }
      });
      Object.keys(queue).forEach(function (pos) {
        if (!merged[pos] || merged[pos].seq < queue[pos].seq) { merged[pos] = queue[pos]; }
      });
      merged[OWNER] = config.started;
      localStorage.setItem(storeKey, JSON.stringify(merged));
    } catch (e) { /* private mode, or storage full: the queue stays in memory */ }
  }

  function card(pos) { return document.getElementById("q" + pos); }

  // The attempt is over: what this device kept for it goes, and so does the page.
  function leave() {
    try { localStorage.removeItem(storeKey); } catch (e) { /* storage turned off: nothing was kept */ }
    window.location = config.doneUrl;
  }

  // Changes another tab of this exam stored and did not send (it was closed, or lost its
  // connection): newer than anything this tab knows, so this tab sends them.
  function adoptStored() {
    var stored = readStored();
    Object.keys(stored).forEach(function (pos) {
      var entry = stored[pos];
      if (entry && entry.seq > (seqs[pos] || 0) && card(pos)) {
        seqs[pos] = entry.seq;
        queue[pos] = entry;
        show(card(pos), entry.r);
      }
    });
  }

  function read(section) {
    var type = section.dataset.type;
    var inputs = section.querySelectorAll("[name=q" + section.dataset.position + "]");
    var values = [];
    inputs.forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { values.push(input.value); }
      } else {
        values.push(input.value);
      }
    });
    if (type === "single") { return values.length ? values[0] : null; }
    if (type === "judge") { return values.length ? values[0] === "true" : null; }
    if (type === "multiple") { return values.sort(); }
    if (type === "fill") { return values; }
    return values[0] || "";
  }

  function show(section, response) {
    var inputs = section.querySelectorAll("[name=q" + section.dataset.position + "]");
    var type = section.dataset.type;
    inputs.forEach(function (input, index) {
      if (type === "single") { input.checked = input.value === response; }
      else if (type === "judge") { input.checked = String(response) === input.value; }
      else if (type === "multiple") { input.checked = (response || []).indexOf(input.value) >= 0; }
      else if (type === "fill") { input.value = (response || [])[index] || ""; }
      else { input.value = response || ""; }
    });
  }

  function answered(section) {
    var r = read(section);
    if (r === null || r === "") { return false; }
    if (Array.isArray(r)) { return r.some(function (v) { return v && String(v).trim(); }); }
    return true;
  }

  function count() {
    var n = 0;
    document.querySelectorAll(".question-card").forEach(function (section) {
      var done = answered(section);
      if (done) { n += 1; }
      var link = document.querySelector("[data-nav='" + section.dataset.position + "']");
      if (link) { link.classList.toggle("btn-success", done); link.classList.toggle("btn-outline-secondary", !done); }
    });
    document.getElementById("answered-count").textContent = n;
    return n;
  }

  function status(message, tone) {
    var box = document.getElementById("save-status");
    box.textContent = message;
    box.className = tone ? "text-" + tone : "text-body-secondary";
  }

  function block(message) {
    blocked = true;
    status(text.stopped, "danger");
    var box = document.getElementById("blocked");
    box.textContent = message;
    box.classList.remove("d-none");
    document.querySelectorAll("#exam-form input, #exam-form textarea").forEach(function (i) { i.disabled = true; });
    document.getElementById("submit-exam").disabled = true;  // the answers here stay on this device
  }

  // A change's number: milliseconds since the attempt began on the server's clock, never
  // below the last number plus one. A clock reading outside the exam's span (this device's
  // clock set wrong, or jumping) is not used.
  function nextSeq(pos) {
    var byClock = Math.floor(now() + clockOffset - config.started);
    var next = (seqs[pos] || 0) + 1;
    if (byClock > next && byClock < 2 * 86400000) { next = byClock; }  // no exam lasts two days
    seqs[pos] = Math.min(next, MAX_SEQ);
    return seqs[pos];
  }

  // Into the queue (and localStorage) at once; sent now, or with `send` false a moment
  // later (typing), but kept on this device either way.
  function record(section, send) {
    if (blocked) { return; }
    var pos = section.dataset.position;
    queue[pos] = { seq: nextSeq(pos), r: read(section) };
    persist();
    count();
    if (send !== false) { flush(); }
  }

  function post(url, body) {
    var payload = JSON.stringify(body);
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Attempt-Token": config.token },
      body: payload,
      credentials: "same-origin",
      // keepalive lets a request outlive the page, but the browser refuses one over 64 KB
      keepalive: payload.length < 20000
    });
  }

  // Send the queue. Questions still being typed wait for the pause, unless `all` (handing
  // in, leaving the page).
  function flush(all) {
    if (all === true) { typing = {}; }
    if (sending || blocked) { return Promise.resolve(); }
    adoptStored();
    var positions = Object.keys(queue).filter(function (pos) { return !typing[pos]; });
    if (!positions.length) {
      if (!Object.keys(queue).length) { status(text.saved); }
      return Promise.resolve();
    }
    sending = true;
    status(text.saving);
    var batch = positions.slice(0, BATCH).map(function (pos) {
      return { q: Number(pos), seq: queue[pos].seq, r: queue[pos].r };
    });
    return post(config.saveUrl, { answers: batch }).then(function (response) {
      if (response.ok) {
        batch.forEach(function (a) {
          if (queue[a.q] && queue[a.q].seq <= a.seq) { delete queue[a.q]; }
        });
        persist();
        retryDelay = 1000;
        sending = false;
        return flush();
      }
      if (response.status >= 500) { throw new Error("server"); }
      return response.json().then(function (body) {
        sending = false;
        block(body.code === "other_device" ? text.elsewhere : (body.detail || text.closed));
        // Refused because the attempt has ended (handed in by the invigilator or the sweep):
        // the heartbeat confirms it and takes the candidate to the handed-in page.
        if (body.code === "closed" || body.code === "voided") { askServer(); }
      });
    }).catch(function () {
      sending = false;
      status(text.offline, "danger");
      if (retryTimer === null) {
        retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 10000);
      }
    });
  }

  // Hand in once every answer is saved. Before the time is up, answers that cannot be
  // saved (no connection) keep the paper open: handing it in without them would lose them,
  // and the page says so and goes on trying. Once the time is up, the paper is handed in
  // after 15 s of trying anyway, as the server does at its end and grace.
  function handIn() {
    if (handingIn || blocked) { return; }
    handingIn = true;
    var deadline = now() + 15000;
    function tryHandIn() {
      if (blocked) { handingIn = false; return; }  // refused meanwhile: the page says why
      flush(true).then(function () {
        if (Object.keys(queue).length && (now() < deadline || endAt > now())) {
          if (now() >= deadline) { status(text.unsaved, "danger"); }
          setTimeout(tryHandIn, now() < deadline ? 1000 : 2000);
          return;
        }
        post(config.submitUrl, {}).then(function (response) {
          if (response.ok) {
            leave();
          } else if (response.status === 400) {
            return response.json().then(function (body) {
              if (body.code === "other_device") { handingIn = false; block(text.elsewhere); return; }
              leave();  // already handed in, or ended
            });
          } else { throw new Error("server"); }
        }).catch(function () { setTimeout(tryHandIn, 2000); });
      });
    }
    tryHandIn();
  }

  function tick() {
    var left = Math.max(0, Math.round((endAt - now()) / 1000));
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    var timer = document.getElementById("timer");
    timer.textContent = (minutes < 10 ? "0" : "") + minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    timer.classList.toggle("text-danger", left < 300);
    [15, 5, 1].forEach(function (mark) {  // said once each, not every second
      if (left <= mark * 60 && left > mark * 60 - 5 && !announced[mark]) {
        announced[mark] = true;
        document.getElementById("time-announce").textContent = text.timeLeft.replace("{minutes}", mark);
      }
    });
    if (left === 0 && !blocked) { timeUp(); }
  }

  // The page's own clock has run out: the server decides, since extra time may have been
  // given since the last heartbeat. Without an answer from it (no connection) the page asks
  // again every few seconds and keeps every answer; if the time is really up meanwhile, the
  // server's sweep hands the paper in.
  function timeUp() {
    if (checkingTime || handingIn) { return; }
    checkingTime = true;
    if (retryTimer === null) { flush(true); }  // else a retry of the last failed save is on its way
    status(text.timeUp, "danger");
    askServer().then(function (body) {
      if (!body) {  // ask again in a while (3 s, then longer); the clock stays at 00:00
        status(text.offline, "danger");
        setTimeout(function () { checkingTime = false; timeUp(); }, askDelay);
        askDelay = Math.min(askDelay * 2, 10000);
        return;
      }
      askDelay = 3000;
      checkingTime = false;
      if (body.status === "in_progress" && body.remaining_seconds > 0) {
        if (body.remaining_seconds > 30) {  // not the second or two of rounding: time was given
          status(text.timeChanged.replace("{minutes}", Math.ceil(body.remaining_seconds / 60)), "primary");
        }
        return;  // askServer has set the clock
      }
      if (body.status !== "in_progress" || !body.this_device) { return; }  // askServer has acted on it
      // Under a second left on the server's clock: hand in once the deadline has passed
      // (answers still in flight have the grace period).
      var wait = Math.max(0, Date.parse(body.deadline) - (now() + clockOffset)) + 250;
      setTimeout(handIn, Math.min(wait, 2000));
    });
  }

  // A heartbeat: the server's status and time left (null without an answer). It sets the
  // clock, measures the clocks' difference, and leaves the page if the attempt has ended or
  // moved to another device.
  function askServer() {
    var sent = now();
    return post(config.heartbeatUrl, {}).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { return null; }
        var back = now();
        if (back - sent < offsetRoundTrip && body.server_time) {
          offsetRoundTrip = back - sent;
          clockOffset = body.server_time - (sent + back) / 2;
        }
        var newEnd = back + body.remaining_seconds * 1000;
        if (Math.abs(newEnd - endAt) > TIME_CHANGED) { announced = {}; }  // say the marks again
        endAt = newEnd;
        if (body.status !== "in_progress") { leave(); }
        else if (!body.this_device) { block(text.elsewhere); }
        return body;
      }).catch(function () { return null; });
  }

  function heartbeat() {
    var before = endAt;
    askServer().then(function (body) {
      if (!body) { status(text.offline, "danger"); return; }
      if (Math.abs(endAt - before) > TIME_CHANGED && body.status === "in_progress") {
        status(text.timeChanged.replace("{minutes}", Math.ceil(body.remaining_seconds / 60)), "primary");
      }
    });
  }

  // Answers still queued from before a reload are newer than what the server has: show
  // them again and send them (stale ones are dropped from storage).
  adoptStored();
  persist();

  document.querySelectorAll(".question-card").forEach(function (section) {
    var timer = null;
    section.addEventListener("change", function () {
      clearTimeout(timer);
      delete typing[section.dataset.position];
      record(section);
    });
    section.addEventListener("input", function (event) {
      if (event.target.tagName === "TEXTAREA" || event.target.type === "text" || !event.target.type) {
        var pos = section.dataset.position;
        typing[pos] = true;
        record(section, false);  // kept at once; sent when the typing pauses
        clearTimeout(timer);
        timer = setTimeout(function () { delete typing[pos]; flush(); }, 800);
      }
    });
  });
  document.getElementById("submit-exam").addEventListener("click", function () {
    var missing = [];
    document.querySelectorAll(".question-card").forEach(function (section) {
      if (!answered(section)) { missing.push(Number(section.dataset.position) + 1); }
    });
    // Which ones, not only how many (the first 30: a dialog is no place for a long list)
    var list = missing.slice(0, 30).join(text.listSeparator) + (missing.length > 30 ? "…" : "");
    var ask = !missing.length ? text.confirmAll
      : (missing.length === 1 ? text.confirmOne : text.confirm).replace("{count}", missing.length).replace("{list}", list);
    if (window.confirm(ask)) { handIn(); }
  });
  window.addEventListener("online", function () { flush(); });
  window.addEventListener("storage", function (event) {  // another tab stored a change
    if (event.key === storeKey && !document.hidden) { flush(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { heartbeat(); }
    flush(true);  // shown again, or hidden (a phone locked, another app): send what is waiting
  });
  window.addEventListener("pagehide", function () { flush(true); });
  count();
  tick();
  setInterval(tick, 1000);
  setInterval(heartbeat, 20000);
  heartbeat();  // at once: the clocks' difference, measured better than by the page's arrival
  flush();
}());
