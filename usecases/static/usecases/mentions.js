// Suggests people on "@" in a comment box (textarea[data-mentions-url]). Without this
// script, typing @username works the same: the server resolves the mention.
(function () {
  "use strict";
  var TRIGGER = /(?:^|[^\w@.+-])@([\w.+-]{0,150})$/;

  function attach(box) {
    var url = box.getAttribute("data-mentions-url");
    var list = document.createElement("ul");
    list.className = "list-group position-absolute shadow-sm d-none mention-suggestions";
    list.setAttribute("role", "listbox");
    box.parentNode.classList.add("position-relative");
    box.parentNode.appendChild(list);
    var people = [], active = -1, timer = null, asked = "";

    function hide() { list.classList.add("d-none"); people = []; active = -1; }

    function query() {
      var match = TRIGGER.exec(box.value.slice(0, box.selectionStart));
      return match ? match[1] : null;
    }

    function choose(index) {
      var person = people[index];
      if (!person) { return; }
      var caret = box.selectionStart, before = box.value.slice(0, caret), prefix = query() || "";
      var start = before.length - prefix.length;
      box.value = box.value.slice(0, start) + person.username + " " + box.value.slice(caret);
      var at = start + person.username.length + 1;
      box.setSelectionRange(at, at);
      hide();
      box.focus();
    }

    function show(results) {
      list.textContent = "";
      people = results;
      active = results.length ? 0 : -1;
      results.forEach(function (person, index) {
        var item = document.createElement("li");
        item.className = "list-group-item list-group-item-action py-1" + (index === 0 ? " active" : "");
        item.setAttribute("role", "option");
        item.textContent = person.name + " (@" + person.username + ")";
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(index); });
        list.appendChild(item);
      });
      list.classList.toggle("d-none", !results.length);
    }

    function highlight(step) {
      if (!people.length) { return; }
      active = (active + step + people.length) % people.length;
      Array.prototype.forEach.call(list.children, function (item, index) {
        item.classList.toggle("active", index === active);
      });
    }

    box.addEventListener("input", function () {
      var prefix = query();
      clearTimeout(timer);
      if (prefix === null) { hide(); return; }
      timer = setTimeout(function () {
        asked = prefix;
        fetch(url + "?q=" + encodeURIComponent(prefix), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) { if (asked === query()) { show(data.results || []); } })
          .catch(hide);
      }, 200);
    });
    box.addEventListener("keydown", function (event) {
      if (list.classList.contains("d-none")) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(-1); }
      else if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); choose(active); }
      else if (event.key === "Escape") { hide(); }
    });
    box.addEventListener("blur", function () { setTimeout(hide, 150); });
  }

  document.querySelectorAll("textarea[data-mentions-url]").forEach(attach);
})();
