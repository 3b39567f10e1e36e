/* Miomente booking widget. No framework, no cookies; every text is set as textContent.
 *
 * Embed:
 *   <script src="https://…/v1/widget.js" async></script>
 *   <div data-miomente-partner="pk_…" data-lang="de" data-view="list|calendar"
 *        data-color="#…" data-course="123,124"></div>
 *
 * Every text comes from the service (locales/*.toml) and is set with textContent.
 * Events on the div (bubbling): "miomente:booking-click" (cancelable; detail: date_id,
 * course_id, url) and "miomente:resize" (detail: height). Inside the iframe page the height
 * is also posted to the parent window as {type: "miomente:resize", height}.
 */
(function () {
  "use strict";
  var SELECTOR = "[data-miomente-partner]";
  var COLOR = /^#[0-9a-fA-F]{6}$/;
  var script = document.currentScript ||
    document.querySelector('script[src*="/v1/widget.js"]');
  var base = new URL(script ? script.src : location.href).origin;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function contrastText(hex) {
    var c = [1, 3, 5].map(function (i) {
      var v = parseInt(hex.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    var lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    return lum > 0.179 ? "#111111" : "#ffffff";
  }

  function css(color) {
    var fg = contrastText(color);
    return [
      ":host{all:initial;display:block;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328}",
      ".mio{font-size:16px;line-height:1.4;max-width:760px}",
      ".mio *{box-sizing:border-box}",
      ".mio h2{font-size:1.15em;margin:0 0 .6em}",
      ".mio ul{list-style:none;margin:0;padding:0}",
      ".mio li.date{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;justify-content:space-between;",
      "border:1px solid #d0d7de;border-radius:8px;padding:.75em .9em;margin:0 0 .6em;background:#fff}",
      ".mio .info{flex:1 1 16em;min-width:0}",
      ".mio .course{font-weight:600;overflow-wrap:anywhere}",
      ".mio .when,.mio .seats{color:#3d444d;font-size:.95em}",
      ".mio .buy{display:flex;align-items:center;gap:.8em}",
      ".mio .price{font-weight:600;white-space:nowrap}",
      ".mio a.book,.mio button.nav,.mio button.wait,.mio button.send,.mio button.ask{display:inline-block;min-height:44px;min-width:44px;",
      "padding:.6em 1.1em;border-radius:6px;border:2px solid " + color + ";font:inherit;font-weight:600;",
      "text-decoration:none;cursor:pointer;text-align:center}",
      ".mio a.book{background:" + color + ";color:" + fg + "}",
      ".mio button.nav,.mio button.wait,.mio button.ask{background:#fff;color:#1f2328}",
      ".mio a.book:focus-visible,.mio button:focus-visible{outline:3px solid #0969da;outline-offset:2px}",
      ".mio .soldout{font-weight:600;color:#8a1c1c}",
      ".mio .head{display:flex;align-items:center;justify-content:space-between;gap:.5em;margin:0 0 .6em}",
      ".mio .grid{display:grid;grid-template-columns:repeat(7,1fr);gap:4px;margin:0 0 .8em}",
      ".mio .wd{text-align:center;font-size:.8em;color:#3d444d;padding:.2em 0}",
      ".mio .day{min-height:44px;border:1px solid #e1e4e8;border-radius:6px;background:#fff;font:inherit;",
      "color:#57606a;display:flex;align-items:center;justify-content:center;padding:0}",
      ".mio button.day{cursor:pointer;border:2px solid " + color + ";color:#1f2328;font-weight:600}",
      ".mio button.day[aria-pressed=true]{background:" + color + ";color:" + fg + "}",
      ".mio .msg{padding:.6em 0;color:#3d444d}",
      ".mio .foot{font-size:.8em;color:#57606a;margin-top:1em}",
      ".mio form{flex:1 1 100%;display:grid;gap:.6em;margin:.4em 0 .6em;padding:.8em;border:1px solid #d0d7de;border-radius:8px;background:#f6f8fa}",
      ".mio form h3{font-size:1em;margin:0}",
      ".mio .fld{display:flex;flex-direction:column;gap:.2em;font-size:.95em}",
      ".mio label.check{display:flex;align-items:flex-start;gap:.5em;font-size:.95em}",
      ".mio label.check input{width:22px;height:22px;min-height:0;margin:.1em 0 0;flex:none}",
      ".mio input,.mio select,.mio textarea{font:inherit;font-size:16px;min-height:44px;padding:.4em .5em;",
      "border:1px solid #8c959f;border-radius:6px;background:#fff;color:#1f2328;width:100%}",
      ".mio input:focus-visible,.mio select:focus-visible,.mio textarea:focus-visible{outline:3px solid #0969da;outline-offset:1px}",
      ".mio .row{display:flex;gap:.6em;flex-wrap:wrap}.mio .row>.fld{flex:1 1 8em}",
      ".mio .acts{display:flex;gap:.6em;flex-wrap:wrap}",
      ".mio button.send{background:" + color + ";color:" + fg + "}",
      ".mio .err{color:#8a1c1c;font-weight:600;margin:0}",
      ".mio .ok{color:#1a5e2e;font-weight:600;margin:0;flex:1 1 100%}",
      ".mio .foot a{color:inherit}",
      "[hidden]{display:none!important}"
    ].join("");
  }

  function phone() {
    return window.matchMedia && window.matchMedia("(max-width: 640px)").matches;
  }

  function Widget(host) {
    this.host = host;
    this.key = host.getAttribute("data-miomente-partner") || "";
    this.lang = host.getAttribute("data-lang") === "en" ? "en" : "de";
    this.view = host.getAttribute("data-view") === "calendar" ? "calendar" : "list";
    var color = host.getAttribute("data-color") || "";
    this.color = COLOR.test(color) ? color : "#b0295a";
    var course = host.getAttribute("data-course") || "";
    this.course = /^[0-9]{1,10}(,[0-9]{1,10}){0,49}$/.test(course) ? course.split(",") : [];
    this.framed = host.getAttribute("data-frame") === "1";
    this.month = null;
    this.viewed = false;
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var style = el("style");
    style.textContent = css(this.color);
    root.appendChild(style);
    this.box = el("div", "mio");
    this.box.setAttribute("lang", this.lang);
    this.box.setAttribute("aria-live", "polite");
    this.box.setAttribute("aria-busy", "true");
    this.box.appendChild(el("p", "msg", "…"));
    root.appendChild(this.box);
    this.watchSize();
    this.load();
  }

  Widget.prototype.url = function (path, params) {
    var query = [];
    for (var name in params) {
      var values = [].concat(params[name] || []);
      for (var i = 0; i < values.length; i++) {
        if (values[i]) query.push(name + "=" + encodeURIComponent(values[i]));
      }
    }
    return base + "/v1/widget/" + encodeURIComponent(this.key) + path +
      (query.length ? "?" + query.join("&") : "");
  };

  Widget.prototype.beacon = function (event) {
    var url = this.url("/events", { event: event });
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(url)) return;
    } catch (e) { /* fall through */ }
    fetch(url, { method: "POST", mode: "cors", credentials: "omit", keepalive: true })
      .catch(function () {});
  };

  Widget.prototype.load = function () {
    var self = this;
    var params = { lang: this.lang, course: this.course };
    if (this.view === "calendar" && this.month) params.month = this.month;
    this.box.setAttribute("aria-busy", "true");
    fetch(this.url("/dates", params), { credentials: "omit", mode: "cors" })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        if (!answer.ok) throw answer.body;
        self.data = answer.body;
        if (!self.viewed) {
          self.viewed = true;
          self.beacon("view");
        }
        self.render();
      })
      .catch(function (problem) {
        self.fail(problem && problem.error ? problem.error.message : null);
      });
  };

  Widget.prototype.fail = function (message) {
    this.clear();
    var p = el("p", "msg");
    if (message) {
      p.textContent = message;
    } else {
      var a = el("a", null, "miomente.de");
      a.href = "https://www.miomente.de";
      a.target = "_blank";
      a.rel = "noopener";
      p.appendChild(a);
    }
    this.box.appendChild(p);
    this.box.setAttribute("aria-busy", "false");
  };

  Widget.prototype.clear = function () {
    while (this.box.firstChild) this.box.removeChild(this.box.firstChild);
  };

  Widget.prototype.render = function () {
    var t = this.data.texts;
    this.clear();
    this.box.appendChild(el("h2", null, t.title));
    if (this.view === "calendar") {
      this.renderCalendar();
    } else if (!this.data.dates.length) {
      this.box.appendChild(el("p", "msg", t.empty));
    } else {
      this.box.appendChild(this.list(this.data.dates));
    }
    if (this.data.features && this.data.features.date_request && this.data.course_list.length) {
      this.box.appendChild(this.askButton());
    }
    var foot = el("p", "foot", t.powered);
    this.box.appendChild(foot);
    this.box.setAttribute("aria-busy", "false");
  };

  Widget.prototype.list = function (dates) {
    var ul = el("ul");
    for (var i = 0; i < dates.length; i++) ul.appendChild(this.item(dates[i]));
    return ul;
  };

  Widget.prototype.item = function (d) {
    var t = this.data.texts;
    var li = el("li", "date");
    li.setAttribute("data-date-id", d.date_id);
    var info = el("div", "info");
    info.appendChild(el("div", "course", d.course));
    info.appendChild(el("div", "when", d.date_label + ", " + d.time_label));
    var buy = el("div", "buy");
    buy.appendChild(el("span", "price", d.price_label));
    if (d.seats_free > 0) {
      info.appendChild(el("div", "seats", d.seats_label));
      buy.appendChild(this.bookLink(d));
    } else {
      buy.appendChild(el("span", "soldout", t.sold_out));
      if (this.data.features && this.data.features.waitlist) {
        var self = this;
        var wait = el("button", "wait", t.waitlist_open);
        wait.type = "button";
        wait.setAttribute("aria-expanded", "false");
        wait.addEventListener("click", function () { self.waitForm(li, d, wait); });
        buy.appendChild(wait);
      }
    }
    li.appendChild(info);
    li.appendChild(buy);
    return li;
  };

  // --- sign-ups: the waitlist of a full date, the request for a date --------------------

  var fields = 0;
  function field(label, tag, attrs) {
    var wrap = el("div", "fld");
    var text = el("label", null, label);
    var input = el(tag);
    input.id = "mio-f" + (++fields);
    text.htmlFor = input.id;
    for (var name in attrs) input.setAttribute(name, attrs[name]);
    wrap.appendChild(text);
    wrap.appendChild(input);
    return wrap;
  }

  Widget.prototype.form = function (title, rows, path, values, opener) {
    var self = this, t = this.data.texts;
    var form = el("form");
    form.noValidate = true;
    form.appendChild(el("h3", null, title));
    for (var i = 0; i < rows.length; i++) form.appendChild(rows[i]);
    var consent = el("label", "check");
    var box = el("input");
    box.type = "checkbox";
    box.name = "consent";
    consent.appendChild(box);
    consent.appendChild(el("span", null, t.field_consent));
    form.appendChild(consent);
    var error = el("p", "err");
    error.setAttribute("role", "alert");
    error.hidden = true;
    form.appendChild(error);
    var acts = el("div", "acts");
    var send = el("button", "send", t.send);
    send.type = "submit";
    var cancel = el("button", "nav", t.cancel);
    cancel.type = "button";
    acts.appendChild(send);
    acts.appendChild(cancel);
    form.appendChild(acts);
    function close() {
      form.parentNode.removeChild(form);
      if (opener) { opener.setAttribute("aria-expanded", "false"); opener.focus(); }
    }
    cancel.addEventListener("click", close);
    form.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = values(form);
      body.consent = box.checked;
      send.disabled = true;
      send.textContent = t.sending;
      error.hidden = true;
      self.post(path, body).then(function (answer) {
        var done = el("p", "ok", answer.message);
        done.setAttribute("role", "status");
        done.tabIndex = -1;
        form.parentNode.replaceChild(done, form);
        if (opener) opener.hidden = true;
        done.focus();
      }, function (message) {
        send.disabled = false;
        send.textContent = t.send;
        error.textContent = message || t.failed;
        error.hidden = false;
      });
    });
    if (opener) opener.setAttribute("aria-expanded", "true");
    return form;
  };

  function valueOf(form, name) {
    var input = form.querySelector("[name=" + name + "]");
    return input ? input.value.trim() : "";
  }

  function contact(t) {
    return [
      field(t.field_name, "input", { name: "name", autocomplete: "name", required: "" }),
      field(t.field_email, "input", { name: "email", type: "email", autocomplete: "email", required: "" }),
      field(t.field_phone, "input", { name: "phone", type: "tel", autocomplete: "tel" })
    ];
  }

  Widget.prototype.waitForm = function (li, d, opener) {
    var t = this.data.texts;
    var old = li.querySelector("form");
    if (old) { old.querySelector("input").focus(); return; }
    var seats = field(t.field_seats, "input", { name: "seats", type: "number", min: "1", max: "50", value: "1", inputmode: "numeric" });
    var title = t.waitlist_title.replace("{course}", d.course).replace("{date}", d.date_label);
    var form = this.form(title, contact(t).concat([seats]), "/waitlist", function (f) {
      return { course_id: d.course_id, date_id: d.date_id, name: valueOf(f, "name"),
        email: valueOf(f, "email"), phone: valueOf(f, "phone") || null,
        seats: parseInt(valueOf(f, "seats"), 10) || 0 };
    }, opener);
    li.appendChild(form);
    form.querySelector("input").focus();
  };

  Widget.prototype.askButton = function () {
    var self = this, t = this.data.texts;
    var wrap = el("div", "ask");
    wrap.appendChild(el("p", "msg", t.request_hint));
    var ask = el("button", "ask", t.request_open);
    ask.type = "button";
    ask.setAttribute("aria-expanded", "false");
    ask.addEventListener("click", function () {
      var old = wrap.querySelector("form");
      if (old) { old.querySelector("select").focus(); return; }
      var form = self.requestForm(ask);
      wrap.appendChild(form);
      form.querySelector("select").focus();
    });
    wrap.appendChild(ask);
    return wrap;
  };

  Widget.prototype.requestForm = function (opener) {
    var t = this.data.texts;
    var course = field(t.field_course, "select", { name: "course_id" });
    var list = this.data.course_list, select = course.querySelector("select");
    for (var i = 0; i < list.length; i++) {
      var option = el("option", null, list[i].course);
      option.value = String(list[i].course_id);
      select.appendChild(option);
    }
    var when = el("div", "row");
    when.appendChild(field(t.field_day, "input", { name: "day", type: "date", required: "" }));
    when.appendChild(field(t.field_start, "input", { name: "start", type: "time", value: "18:00", required: "" }));
    when.appendChild(field(t.field_participants, "input", { name: "participants", type: "number", min: "1", value: "2", inputmode: "numeric" }));
    var rows = [course, when].concat(contact(t));
    rows.push(field(t.field_message, "textarea", { name: "message", rows: "3", maxlength: "2000" }));
    return this.form(t.request_title, rows, "/date-request", function (f) {
      return { course_id: parseInt(valueOf(f, "course_id"), 10), day: valueOf(f, "day"),
        start: valueOf(f, "start"), participants: parseInt(valueOf(f, "participants"), 10) || 0,
        name: valueOf(f, "name"), email: valueOf(f, "email"), phone: valueOf(f, "phone") || null,
        message: valueOf(f, "message") || null };
    }, opener);
  };

  // POST JSON; resolves with the answer, rejects with the service's message (or null).
  Widget.prototype.post = function (path, body) {
    return fetch(this.url(path, { lang: this.lang }), {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) return answer;
        throw answer && answer.error ? answer.error.message : null;
      });
    }, function () { throw null; });
  };

  Widget.prototype.bookLink = function (d) {
    var self = this;
    var a = el("a", "book", this.data.texts.book);
    a.href = d.booking_url;
    a.setAttribute("aria-label", d.book_label);
    if (phone()) {
      a.target = "_blank";
      a.rel = "noopener";
    } else if (this.framed) {
      a.target = "_top";
    }
    a.addEventListener("click", function (event) {
      var go = self.host.dispatchEvent(new CustomEvent("miomente:booking-click", {
        bubbles: true,
        cancelable: true,
        detail: { date_id: d.date_id, course_id: d.course_id, url: d.booking_url }
      }));
      self.beacon("click");
      if (!go) event.preventDefault();
    });
    return a;
  };

  Widget.prototype.currentMonth = function () {
    if (this.month) return this.month;
    var first = this.data.dates[0];
    return first ? first.day.slice(0, 7) : new Date().toISOString().slice(0, 7);
  };

  Widget.prototype.go = function (step) {
    var parts = this.currentMonth().split("-");
    var y = +parts[0], m = +parts[1] + step;
    if (m < 1) { m = 12; y -= 1; }
    if (m > 12) { m = 1; y += 1; }
    this.month = y + "-" + (m < 10 ? "0" : "") + m;
    this.selected = null;
    this.load();
  };

  Widget.prototype.navButton = function (label, symbol, step) {
    var self = this;
    var b = el("button", "nav", symbol);
    b.type = "button";
    b.setAttribute("aria-label", label);
    b.addEventListener("click", function () { self.go(step); });
    return b;
  };

  Widget.prototype.renderCalendar = function () {
    var t = this.data.texts;
    if (!this.month && this.data.dates.length) {
      this.month = this.currentMonth();
      if (!this.data.month) return this.load();  // now ask for that month alone
    }
    var month = this.currentMonth();
    var y = +month.slice(0, 4), m = +month.slice(5, 7);
    var head = el("div", "head");
    head.appendChild(this.navButton(t.previous_month, "‹", -1));
    head.appendChild(el("strong", null, this.data.month_names[m - 1] + " " + y));
    head.appendChild(this.navButton(t.next_month, "›", 1));
    this.box.appendChild(head);
    var byDay = {};
    for (var i = 0; i < this.data.dates.length; i++) {
      var d = this.data.dates[i];
      (byDay[d.day] = byDay[d.day] || []).push(d);
    }
    this.box.appendChild(this.grid(y, m, byDay));
    var days = Object.keys(byDay).sort();
    if (!days.length) {
      this.box.appendChild(el("p", "msg", t.empty_month));
      return;
    }
    var chosen = this.selected && byDay[this.selected] ? this.selected : days[0];
    var label = byDay[chosen][0].date_label;
    this.box.appendChild(el("p", "msg", t.dates_on.replace("{date}", label)));
    this.box.appendChild(this.list(byDay[chosen]));
  };

  Widget.prototype.grid = function (y, m, byDay) {
    var self = this;
    var grid = el("div", "grid");
    grid.setAttribute("role", "group");
    grid.setAttribute("aria-label", this.data.month_names[m - 1] + " " + y);
    for (var w = 0; w < 7; w++) {
      var wd = el("div", "wd", this.data.weekdays[w]);
      wd.setAttribute("aria-hidden", "true");
      grid.appendChild(wd);
    }
    var first = new Date(Date.UTC(y, m - 1, 1));
    var offset = (first.getUTCDay() + 6) % 7;
    var count = new Date(Date.UTC(y, m, 0)).getUTCDate();
    for (var blank = 0; blank < offset; blank++) grid.appendChild(el("div"));
    var chosen = this.selected || Object.keys(byDay).sort()[0];
    for (var day = 1; day <= count; day++) {
      var iso = y + "-" + (m < 10 ? "0" : "") + m + "-" + (day < 10 ? "0" : "") + day;
      var entries = byDay[iso];
      if (!entries) {
        grid.appendChild(el("div", "day", day));
        continue;
      }
      var b = el("button", "day", day);
      b.type = "button";
      b.setAttribute("aria-pressed", iso === chosen ? "true" : "false");
      b.setAttribute("aria-label", self.data.texts.dates_on.replace("{date}", entries[0].date_label));
      b.addEventListener("click", (function (picked) {
        return function () {
          self.selected = picked;
          self.render();
        };
      })(iso));
      grid.appendChild(b);
    }
    return grid;
  };

  Widget.prototype.watchSize = function () {
    var self = this;
    var last = -1;
    function report() {
      var height = Math.ceil(self.box.getBoundingClientRect().height);
      if (height === last) return;
      last = height;
      self.host.dispatchEvent(new CustomEvent("miomente:resize", {
        bubbles: true, detail: { height: height }
      }));
      if (self.framed && window.parent !== window) {
        window.parent.postMessage({ type: "miomente:resize", height: height }, "*");
      }
    }
    if (window.ResizeObserver) new ResizeObserver(report).observe(this.box);
    else window.addEventListener("resize", report);
  };

  function start() {
    var hosts = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < hosts.length; i++) {
      if (hosts[i].getAttribute("data-miomente-ready")) continue;
      hosts[i].setAttribute("data-miomente-ready", "1");
      new Widget(hosts[i]);
    }
  }

  // The iframe fallback's host page resizes its iframe from these messages.
  window.addEventListener("message", function (event) {
    if (event.origin !== base || !event.data || event.data.type !== "miomente:resize") return;
    var frames = document.querySelectorAll("iframe[data-miomente-frame]");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) frames[i].style.height = event.data.height + "px";
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.MiomenteWidget = { start: start };
})();
