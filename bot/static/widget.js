/* Cơ Sở Hub web chat widget.
 * On a commune's website: <script src="https://HUB/widget.js" data-channel="SLUG"></script>
 * Optional data-target="ELEMENT_ID" renders inline instead of a floating button.
 */
(function () {
  var script = document.currentScript;
  var channel = script.getAttribute("data-channel");
  var hub = new URL(script.src, location.href).origin;
  var api = hub + "/api/webchat/" + encodeURIComponent(channel) + "/messages";
  var storeKey = "coso-chat-" + channel;

  function randomId() {
    var a = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var state = {};
  try { state = JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { state = {}; }
  if (!state.session) { state.session = randomId(); state.after = 0; }
  function save() { try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) {} }
  save();

  var css = ".coso-box{display:flex;flex-direction:column;height:100%;background:#fff;border:1px solid #ddd;font:15px system-ui,Arial,sans-serif}" +
    ".coso-log{flex:1;overflow-y:auto;padding:10px}" +
    ".coso-msg{max-width:85%;margin:6px 0;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}" +
    ".coso-bot{background:#eef1f5;color:#222}.coso-me{background:#b71c1c;color:#fff;margin-left:auto}" +
    ".coso-btns{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 8px}" +
    ".coso-btn{border:1px solid #b71c1c;color:#b71c1c;background:#fff;border-radius:16px;padding:6px 12px;cursor:pointer;font-size:14px}" +
    ".coso-form{display:flex;border-top:1px solid #ddd}.coso-form input{flex:1;border:0;padding:12px;font-size:16px}" +
    ".coso-form button{border:0;background:#b71c1c;color:#fff;padding:0 16px;font-size:15px}" +
    ".coso-fab{position:fixed;right:16px;bottom:16px;z-index:99999;background:#b71c1c;color:#fff;border:0;border-radius:24px;padding:12px 18px;font-size:15px}" +
    ".coso-float{position:fixed;right:16px;bottom:70px;width:340px;height:480px;max-height:80vh;z-index:99999;box-shadow:0 4px 16px rgba(0,0,0,.2)}";
  var style = document.createElement("style"); style.textContent = css; document.head.appendChild(style);

  var box = document.createElement("div"); box.className = "coso-box";
  var log = document.createElement("div"); log.className = "coso-log"; log.setAttribute("aria-live", "polite");
  var form = document.createElement("form"); form.className = "coso-form";
  var input = document.createElement("input"); input.placeholder = "Nhập câu hỏi…"; input.setAttribute("aria-label", "Nội dung tin nhắn");
  var send = document.createElement("button"); send.type = "submit"; send.textContent = "Gửi";
  form.appendChild(input); form.appendChild(send); box.appendChild(log); box.appendChild(form);

  var target = script.getAttribute("data-target") && document.getElementById(script.getAttribute("data-target"));
  if (target) { target.appendChild(box); } else {
    box.classList.add("coso-float"); box.style.display = "none";
    var fab = document.createElement("button"); fab.className = "coso-fab"; fab.textContent = "💬 Hỏi xã";
    fab.onclick = function () { box.style.display = box.style.display === "none" ? "flex" : "none"; };
    document.body.appendChild(fab); document.body.appendChild(box);
  }

  function bubble(text, mine) {
    var d = document.createElement("div"); d.className = "coso-msg " + (mine ? "coso-me" : "coso-bot");
    d.textContent = text; log.appendChild(d); log.scrollTop = log.scrollHeight;
  }
  function buttons(list) {
    if (!list || !list.length) return;
    var row = document.createElement("div"); row.className = "coso-btns";
    list.forEach(function (b) {
      var el;
      if (b.url) { el = document.createElement("a"); el.href = b.url; el.target = "_blank"; el.rel = "noopener"; }
      else if (b.phone) { el = document.createElement("a"); el.href = "tel:" + b.phone; }
      else { el = document.createElement("button"); el.type = "button"; el.onclick = function () { post(null, b.payload, b.title); }; }
      el.className = "coso-btn"; el.textContent = b.title; row.appendChild(el);
    });
    log.appendChild(row); log.scrollTop = log.scrollHeight;
  }
  function post(text, payload, shown) {
    bubble(shown || text, true);
    var body = { session: state.session, client_id: randomId() };
    if (text) body.text = text; if (payload) body.payload = payload;
    fetch(api, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { if (!r.ok) bubble("Không gửi được tin nhắn, bạn thử lại nhé.", false); })
      .catch(function () { bubble("Mất kết nối, bạn thử lại nhé.", false); });
  }
  form.onsubmit = function (e) {
    e.preventDefault(); var t = input.value.trim(); if (!t) return; input.value = ""; post(t);
  };
  function poll() {
    fetch(api + "?session=" + state.session + "&after=" + (state.after || 0))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        (data.messages || []).forEach(function (m) {
          bubble(m.text, false); buttons(m.buttons); state.after = Math.max(state.after || 0, m.id);
        });
        save(); setTimeout(poll, 100);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (!state.greeted) { state.greeted = true; save(); post(null, "#menu", "Bắt đầu"); }
  poll();
})();
