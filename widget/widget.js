/*
 * Wegwijs chat widget. One tag on the school website:
 *   <script src="https://wegwijs.example/widget.js" data-school-id="het-baken"
 *           data-server="https://chat.wegwijs.example" defer></script>
 * Talks to Rasa's socket.io channel (session persistence) with socket.io-client 4 (vendor/), and to
 * the widget server next to this file for the history, the handover status and erasing.
 * The server issues the conversation: its id and a secret (session_confirm). Both stay in this browser's
 * localStorage; the secret goes with every call (a header, never a URL), so knowing the id alone opens
 * nothing.
 * Nothing is lost: every message gets a client id and waits in localStorage until the server has
 * acknowledged it; after a lost connection the queue is sent again (the server skips ids it has seen).
 * After an answer (a bot message with an answer_id): "Had je hier iets aan?" with Ja/Nee and, after Nee,
 * an optional reason from a fixed list; sent as a socket.io "feedback" event and kept in the conversation.
 * "Lees voor" reads a message aloud with a Dutch voice of the browser on this device (no online voice, no
 * other service); "Grotere tekst" makes the messages larger (remembered in localStorage).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__wegwijsLoaded) { return; }
  window.__wegwijsLoaded = true;
  var school = script.getAttribute("data-school-id") || "";
  var base = new URL(".", script.src).href;
  var server = script.getAttribute("data-server") || (location.protocol + "//" + location.hostname + ":5005");
  var key = "wegwijs:" + school + ":";
  var ACK_TIMEOUT = 30000;
  var T = {
    open: "Chat met Wegwijs", close: "Chat sluiten", title: "Wegwijs",
    subtitle: "Digitale assistent, geen mens",
    disclosureShort: "Ik ben Wegwijs, een computerprogramma.",
    disclosure: "Ik geef uitleg over hulp en zorg via school. " +
      "Je gesprek wordt bewaard (30 dagen na het laatste bericht). School leest het alleen als jij daar " +
      "toestemming voor geeft. Schrijf liever geen namen of adressen.",
    privacy: "Lees meer over privacy", input: "Typ je vraag", send: "Versturen",
    erase: "Gesprek verwijderen", eraseAsk: "Wil je dit hele gesprek verwijderen? Ook een vraag die je " +
      "naar school hebt gestuurd, wordt verwijderd.", eraseYes: "Ja, verwijderen", eraseNo: "Annuleren",
    erased: "Het gesprek is verwijderd. Je kunt opnieuw beginnen.",
    eraseFailed: "Verwijderen is niet gelukt. Probeer het zo nog een keer.",
    connecting: "Verbinden…", online: "", offline: "Geen verbinding. Je berichten worden verstuurd zodra " +
      "er weer verbinding is.", waiting: "wacht op verbinding", typing: "Wegwijs typt…",
    serverError: "Er ging iets mis bij de server. Je bericht is bewaard en wordt opnieuw verstuurd.",
    you: "Jij", bot: "Wegwijs", historyFailed: "Het eerdere gesprek kon niet worden geladen.",
    larger: "Grotere tekst", speak: "Lees voor", helpful: "Had je hier iets aan?", yes: "Ja", no: "Nee",
    why: "Wat was er mis? Kiezen hoeft niet.", thanks: "Bedankt!",
    feedbackFailed: "Dat lukte niet. Probeer het later nog eens."
  };
  // the reasons after "Nee": the server accepts only these keys, never free text
  var REASONS = [["incorrect", "Klopt niet"], ["unclear", "Snap ik niet"], ["other_question", "Ik zocht iets anders"]];
  var FEEDBACK_TIMEOUT = 15000;

  // ---------------------------------------------------------------- state
  function store(name, value) {
    try {
      if (value === undefined) { return JSON.parse(localStorage.getItem(key + name)); }
      localStorage.setItem(key + name, JSON.stringify(value));
    } catch (e) { return null; }
    return value;
  }
  function randomId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var session = store("session"), secret = store("secret");
  var queue = store("queue") || [];
  var socket = null, confirmed = false, sending = false, retrying = null;

  // ---------------------------------------------------------------- DOM
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }
  var css = el("link", { rel: "stylesheet", href: base + "widget.css" });
  document.head.appendChild(css);
  var root = el("div", { "class": "wegwijs", "data-wegwijs": "" });
  var launcher = el("button", { type: "button", "class": "ww-launcher", "aria-expanded": "false",
    "aria-controls": "wegwijs-panel", text: T.open });
  var status = el("p", { "class": "ww-status", role: "status", "aria-live": "polite" });
  var handover = el("p", { "class": "ww-handover", role: "status", "aria-live": "polite", hidden: "" });
  var log = el("div", { "class": "ww-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": "Berichten", tabindex: "0" });
  var typing = el("p", { "class": "ww-typing", hidden: "", text: T.typing });
  var input = el("textarea", { id: "wegwijs-input", rows: "2", maxlength: "2000", "aria-label": T.input,
    placeholder: T.input, autocomplete: "off" });
  var sendButton = el("button", { type: "submit", "class": "ww-send", text: T.send });
  var form = el("form", { "class": "ww-form" }, [input, sendButton]);
  var eraseButton = el("button", { type: "button", "class": "ww-erase", text: T.erase });
  var sizeButton = el("button", { type: "button", "class": "ww-size", "aria-pressed": "false", text: T.larger });
  var closeButton = el("button", { type: "button", "class": "ww-close", "aria-label": T.close, text: "×" });
  var confirmBox = el("div", { "class": "ww-confirm", role: "alertdialog", "aria-labelledby": "wegwijs-erase-q",
    hidden: "" }, [
    el("p", { id: "wegwijs-erase-q", text: T.eraseAsk }),
    el("button", { type: "button", "class": "ww-erase-yes", text: T.eraseYes }),
    el("button", { type: "button", "class": "ww-erase-no", text: T.eraseNo })
  ]);
  var privacyLink = el("a", { href: base + "privacy.html", target: "_blank", rel: "noopener", text: T.privacy });
  var disclosure = el("div", { "class": "ww-disclosure" }, [
    el("p", {}, [el("strong", { text: T.disclosureShort }), document.createTextNode(" "),
      el("span", { "class": "ww-disclosure-more", text: T.disclosure })]), privacyLink]);
  var panel = el("section", { id: "wegwijs-panel", "class": "ww-panel", role: "dialog",
    "aria-labelledby": "wegwijs-title", hidden: "" }, [
    el("header", { "class": "ww-header" }, [
      el("div", { "class": "ww-heading" }, [el("h2", { id: "wegwijs-title", text: T.title }),
        el("p", { "class": "ww-subtitle", text: T.subtitle })]),
      closeButton,
      el("div", { "class": "ww-header-tools" }, [sizeButton, eraseButton])
    ]),
    confirmBox, disclosure, handover, log, typing, status, form
  ]);
  root.appendChild(launcher);
  root.appendChild(panel);
  document.body.appendChild(root);

  // ---------------------------------------------------------------- the school's look
  // Name and colour as the school set them in the portal. Only a CSS custom property is set through the
  // CSSOM (no style attribute in markup, so a strict style-src CSP holds) and the name as text.
  function applyLook(look) {
    if (!look) { return; }
    if (typeof look.colour === "string" && /^#[0-9a-fA-F]{6}$/.test(look.colour)) {
      root.style.setProperty("--ww-accent", look.colour);
    }
    if (typeof look.display_name === "string" && look.display_name) {
      document.getElementById("wegwijs-title").textContent = look.display_name.slice(0, 40);
    }
  }
  if (school && window.fetch) {
    fetch(base + "api/school/" + encodeURIComponent(school), { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(applyLook, function () { /* the default look */ });
  }

  function linkify(text) {
    var fragment = document.createDocumentFragment();
    var pattern = /https?:\/\/[^\s<>"')]+/g, last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      var url = match[0].replace(/[.,;:]+$/, "");
      fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      fragment.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: url }));
      last = match.index + url.length;
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }
  function clearButtons() {
    Array.prototype.forEach.call(log.querySelectorAll(".ww-buttons"), function (node) { node.remove(); });
  }
  function addMessage(message) {
    var who = message.from === "parent" ? T.you : message.staff
      ? message.staff.name + " · " + message.staff.role : T.bot;
    var text = message.text || "";
    if (message.staff) { text = text.replace(message.staff.name + " (" + message.staff.role + "): ", ""); }
    var item = el("div", { "class": "ww-msg ww-from-" + message.from }, [el("span", { "class": "ww-who", text: who })]);
    // One answer is one message: its paragraphs in one bubble, the source as a small line beneath
    // ("Bron: Naam, https://… (gelezen …)" shows as "Bron: Naam (gelezen …)" with the name as the link;
    // in English "Source (in Dutch): …").
    text.split(/\n\n+/).forEach(function (part) {
      var source = /^(Bron|Source \(in Dutch\)): (.+?), (https:\/\/\S+) \((.+)\)$/.exec(part);
      if (source && message.from === "bot") {
        source = [source[0], source[2], source[3], source[4], source[1]];
        item.appendChild(el("p", { "class": "ww-source" }, [
          document.createTextNode(source[4] + ": "),
          el("a", { href: source[2], target: "_blank", rel: "noopener noreferrer", text: source[1] }),
          document.createTextNode(" (" + source[3] + ")")]));
        return;
      }
      var body = el("p", { "class": "ww-text" });
      body.appendChild(linkify(part));
      item.appendChild(body);
    });
    if (message.pending) {
      item.setAttribute("data-pending", message.pending);
      item.appendChild(el("span", { "class": "ww-pending", text: T.waiting }));
    }
    if (message.from !== "parent") {
      var tools = el("div", { "class": "ww-tools" }, [speakButton(item, text)]);
      if (message.answer_id) { tools.appendChild(feedbackBox(message.answer_id, message.feedback)); }
      item.appendChild(tools);
    }
    if (message.buttons && message.buttons.length) {
      clearButtons();
      var group = el("div", { "class": "ww-buttons", role: "group", "aria-label": "Antwoordknoppen" });
      message.buttons.forEach(function (button) {
        var b = el("button", { type: "button", text: button.title });
        b.addEventListener("click", function () { submit(button.title, button.payload); input.focus(); });
        group.appendChild(b);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    disclosure.classList.add("ww-compact");  // the full text was shown before the first message
    return item;
  }
  function setStatus(text) { status.textContent = text; }

  // ---------------------------------------------------------------- "Had je hier iets aan?"
  var uid = 0;
  function feedbackBox(answerId, rated) {
    var question = "wegwijs-fb-" + (++uid), why = "wegwijs-why-" + uid;
    function choice(attrs, emoji, label) {
      return el("button", attrs, [emoji ? el("span", { "aria-hidden": "true", text: emoji + " " }) : null,
        document.createTextNode(label)]);
    }
    var box = el("div", { "class": "ww-feedback", role: "group", "aria-labelledby": question }, [
      el("span", { id: question, "class": "ww-feedback-q", text: T.helpful }),
      choice({ type: "button", "class": "ww-rate", "data-rating": "up", "aria-pressed": "false" }, "👍", T.yes),
      choice({ type: "button", "class": "ww-rate", "data-rating": "down", "aria-pressed": "false" }, "👎", T.no),
      el("div", { "class": "ww-reasons", role: "group", "aria-labelledby": why, hidden: "" },
        [el("span", { id: why, text: T.why })].concat(REASONS.map(function (reason) {
          return choice({ type: "button", "class": "ww-reason", "data-reason": reason[0], "aria-pressed": "false" },
            "", reason[1]);
        }))),
      el("span", { "class": "ww-feedback-note", role: "status" })
    ]);
    box.answerId = answerId;
    box.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button") : null;
      if (!button || button.getAttribute("aria-pressed") === "true") { return; }  // already chosen
      if (button.hasAttribute("data-rating")) { rate(box, button.getAttribute("data-rating"), null); }
      else if (button.hasAttribute("data-reason")) { rate(box, "down", button.getAttribute("data-reason")); }
    });
    if (rated && rated.rating) { showRating(box, rated.rating, rated.reason); }
    return box;
  }
  function showRating(box, rating, reason) {
    box.classList.add("ww-rated");
    Array.prototype.forEach.call(box.querySelectorAll("[data-rating]"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-rating") === rating));
    });
    Array.prototype.forEach.call(box.querySelectorAll("[data-reason]"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-reason") === reason));
    });
    box.querySelector(".ww-reasons").hidden = rating !== "down";
  }
  function rate(box, rating, reason) {
    var note = box.querySelector(".ww-feedback-note");
    note.textContent = "";
    var body = { answer_id: box.answerId, rating: rating };
    if (reason) { body.reason = reason; }
    function done(ok) {
      if (!ok) { note.textContent = T.feedbackFailed; return; }
      // the same answer may be in the log twice: one rating per answer
      Array.prototype.forEach.call(log.querySelectorAll(".ww-feedback"), function (other) {
        if (other.answerId === box.answerId) { showRating(other, rating, reason); }
      });
      note.textContent = T.thanks;
    }
    if (!socket || !socket.connected || !confirmed) { done(false); return; }
    // the server stores it in the conversation this socket joined (never one named here)
    socket.timeout(FEEDBACK_TIMEOUT).emit("feedback", body, function (err, reply) {
      done(!err && !!reply && reply.status === "ok");
    });
  }

  // ---------------------------------------------------------------- "Lees voor" (the browser's own voice)
  var speech = ("speechSynthesis" in window && window.SpeechSynthesisUtterance) ? window.speechSynthesis : null;
  var voice = null, speaking = null;
  function findVoice() {
    var voices = [];
    try { voices = speech.getVoices() || []; } catch (e) { voices = []; }
    // a Dutch voice on this device only: an online voice (Chrome's "Google Nederlands") sends the text to
    // its maker's servers, and Wegwijs adds no other service
    var dutch = Array.prototype.filter.call(voices, function (v) {
      return /^nl([-_]|$)/i.test(v.lang || "") && v.localService === true;
    });
    dutch.sort(function (a, b) { return /^nl[-_]nl/i.test(b.lang) - /^nl[-_]nl/i.test(a.lang); });  // nl-NL first
    voice = dutch[0] || null;
    root.classList.toggle("ww-can-speak", !!voice);  // without a Dutch voice the buttons stay hidden
    if (!voice) { stopSpeaking(); }
  }
  function speakButton(item, text) {
    var words = text.split(/\s+/).slice(0, 8).join(" ");
    var button = el("button", { type: "button", "class": "ww-speak", "aria-pressed": "false",
      "aria-label": T.speak + ": " + words + (text.split(/\s+/).length > 8 ? "…" : "") },
      [el("span", { "aria-hidden": "true", text: "🔊 " }), document.createTextNode(T.speak)]);
    button.addEventListener("click", function () { speak(item, button); });
    return button;
  }
  function spokenParts(item) {
    // the answer's paragraphs, without the source line and without web addresses
    return Array.prototype.map.call(item.querySelectorAll(".ww-text"), function (p) {
      return p.textContent.replace(/https?:\/\/\S+/g, "").replace(/\s+/g, " ").trim();
    }).filter(function (part) { return part; });
  }
  function stopSpeaking() {
    if (speaking) { speaking.button.setAttribute("aria-pressed", "false"); speaking = null; }
    if (speech) { try { speech.cancel(); } catch (e) { /* nothing to stop */ } }
  }
  function speak(item, button) {
    var again = speaking && speaking.button === button;
    stopSpeaking();
    var parts = spokenParts(item);
    if (again || !voice || !parts.length) { return; }  // pressing again stops
    var current = speaking = { button: button };
    button.setAttribute("aria-pressed", "true");
    parts.forEach(function (part, index) {  // one utterance per paragraph: long ones stop early in some browsers
      var utterance = new window.SpeechSynthesisUtterance(part);
      utterance.lang = voice.lang;
      try { utterance.voice = voice; } catch (e) { /* the language is enough */ }
      utterance.rate = 0.95;
      if (index === parts.length - 1) {
        utterance.onend = utterance.onerror = function () {
          if (speaking === current) { button.setAttribute("aria-pressed", "false"); speaking = null; }
        };
      }
      speech.speak(utterance);
    });
  }
  if (speech) {
    findVoice();  // voices load later in some browsers
    if (speech.addEventListener) { speech.addEventListener("voiceschanged", findVoice); }
    else { speech.onvoiceschanged = findVoice; }
  }

  // ---------------------------------------------------------------- "Grotere tekst"
  function setLarge(on) {
    panel.classList.toggle("ww-large", on);
    sizeButton.setAttribute("aria-pressed", String(on));
    store("large", on);
  }
  setLarge(!!store("large"));
  sizeButton.addEventListener("click", function () { setLarge(!panel.classList.contains("ww-large")); });

  // ---------------------------------------------------------------- sending
  function submit(text, payload) {
    text = (text || "").trim();
    if (!text) { return; }
    clearButtons();
    var message = { id: randomId(), text: text, payload: payload || text, button: !!payload };
    queue.push(message);
    store("queue", queue);
    addMessage({ from: "parent", text: text, pending: message.id });
    flush();
  }
  function markSent(id) {
    var item = log.querySelector('[data-pending="' + id + '"]');
    if (item) {
      item.removeAttribute("data-pending");
      var pending = item.querySelector(".ww-pending");
      if (pending) { pending.remove(); }
    }
  }
  function flush() {
    if (!socket || !socket.connected || !confirmed || sending || !queue.length) { return; }
    sending = true;
    typing.hidden = false;
    var message = queue[0];
    var metadata = { school_id: school, client_message_id: message.id };
    // only a click on a button may send a payload ("/intent"); typed text starting with "/" stays text
    if (message.button) { metadata.button = true; }
    socket.timeout(ACK_TIMEOUT).emit("user_uttered", {
      message: message.payload, session_id: session, metadata: metadata
    }, function (err, reply) {
      sending = false;
      typing.hidden = true;
      if (err) {
        if (socket.connected) { setStatus(T.serverError); setTimeout(flush, 3000); }
        return;
      }
      // "retry": not stored (too many messages, or the server could not store it): keep it, send later
      if (reply && reply.status === "retry") {
        retrying = reply.text || T.serverError;
        setStatus(retrying);
        setTimeout(flush, Math.max(1, reply.retry_after || 5) * 1000);
        return;
      }
      if (retrying && status.textContent === retrying) { setStatus(T.online); }
      retrying = null;
      // "ok" or "refused" (the server says why in the chat): either way it is not sent again
      queue.shift();
      store("queue", queue);
      markSent(message.id);
      refreshStatus();
      flush();
    });
  }

  // ---------------------------------------------------------------- server
  function api(path, options) {
    if (!session || !secret) { return Promise.reject(new Error("no conversation yet")); }
    options = options || {};
    options.headers = { "X-Wegwijs-Conversation": session, "X-Wegwijs-Secret": secret };
    return fetch(base + "api/conversation" + path, options).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }
  function refreshStatus() {
    if (!session) { return; }
    api("/status").then(function (data) {
      if (data.handover) { handover.textContent = data.handover.text; handover.hidden = false; }
      else { handover.hidden = true; handover.textContent = ""; }
    }).catch(function () { /* the status is extra; the chat goes on without it */ });
  }
  function loadHistory() {
    if (!session) {  // a first visit: nothing to load, the server issues the conversation on connect
      return Promise.resolve().then(function () {
        queue.forEach(function (message) { addMessage({ from: "parent", text: message.text, pending: message.id }); });
      });
    }
    return api("/messages").then(function (data) {
      log.textContent = "";
      data.messages.forEach(addMessage);
    }).catch(function () { setStatus(T.historyFailed); }).then(function () {
      queue.forEach(function (message) {
        addMessage({ from: "parent", text: message.text, pending: message.id });
      });
    });
  }
  function connect() {
    if (socket) { return; }
    setStatus(T.connecting);
    socket = window.io(server, { path: "/socket.io", transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      confirmed = false;
      socket.emit("session_request", { session_id: session, secret: secret });
    });
    socket.on("session_confirm", function (id, issued) {
      // the same conversation, or a new one when there was none (or its secret was not accepted)
      session = store("session", id);
      secret = store("secret", issued);
      confirmed = true;
      if ([T.connecting, T.offline, T.serverError].indexOf(status.textContent) >= 0) { setStatus(T.online); }
      flush();
    });
    socket.on("bot_uttered", function (data) {
      typing.hidden = !sending;
      addMessage({ from: data.staff ? "staff" : "bot", text: data.text || "", staff: data.staff,
        answer_id: data.staff ? null : data.answer_id,
        buttons: (data.quick_replies || data.buttons || []).map(function (b) {
          return { title: b.title, payload: b.payload };
        }) });
      refreshStatus();
    });
    socket.on("disconnect", function () { confirmed = false; sending = false; typing.hidden = true;
      setStatus(T.offline); });
    socket.on("connect_error", function () { setStatus(T.offline); });
  }
  function erase() {
    api("/erase", { method: "POST" }).then(function () {
      queue = [];
      store("queue", queue);
      session = store("session", null);
      secret = store("secret", null);
      stopSpeaking();
      log.textContent = "";
      disclosure.classList.remove("ww-compact");
      handover.hidden = true;
      confirmBox.hidden = true;
      setStatus(T.erased);
      if (socket && socket.connected) { confirmed = false; socket.emit("session_request", {}); }
      input.focus();
    }).catch(function () {
      confirmBox.hidden = true;
      setStatus(T.eraseFailed);
      eraseButton.focus();
    });
  }

  // ---------------------------------------------------------------- open, close, keys
  var started = false;
  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.hidden = true;
    store("open", true);
    if (!started) {
      started = true;
      loadVendor(function () { loadHistory().then(function () { connect(); refreshStatus(); }); });
    }
    input.focus();
  }
  function close() {
    stopSpeaking();
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    store("open", false);
    launcher.focus();
  }
  function loadVendor(done) {
    if (window.io) { done(); return; }
    var tag = el("script", { src: base + "vendor/socket.io.min.js" });
    tag.onload = done;
    tag.onerror = function () { setStatus(T.offline); };
    document.head.appendChild(tag);
  }
  launcher.addEventListener("click", open);
  closeButton.addEventListener("click", close);
  eraseButton.addEventListener("click", function () {
    confirmBox.hidden = false;
    confirmBox.querySelector(".ww-erase-no").focus();
  });
  confirmBox.querySelector(".ww-erase-yes").addEventListener("click", erase);
  confirmBox.querySelector(".ww-erase-no").addEventListener("click", function () {
    confirmBox.hidden = true;
    eraseButton.focus();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      if (!confirmBox.hidden) { confirmBox.hidden = true; eraseButton.focus(); } else { close(); }
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit(input.value);
    input.value = "";
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  window.addEventListener("online", function () { if (socket && !socket.connected) { socket.connect(); } });
  setInterval(function () { if (!panel.hidden && started) { refreshStatus(); } }, 20000);
  if (store("open")) { open(); }
})();
