// Prompt library: fill the {{placeholders}} as the person types, copy in one click, count the use.
(function () {
  "use strict";
  const body = JSON.parse(document.getElementById("prompt-body").textContent);
  const output = document.getElementById("filled-prompt");
  const inputs = Array.from(document.querySelectorAll(".placeholder-input"));
  const button = document.getElementById("copy-prompt");
  const status = document.getElementById("copy-status");
  const pattern = /\{\{\s*([^{}\s][^{}]{0,60}?)\s*\}\}/g;

  function filled() {
    const values = {};
    inputs.forEach((input) => { if (input.value) values[input.dataset.name] = input.value; });
    return body.replace(pattern, (match, name) => (name.trim() in values ? values[name.trim()] : match));
  }

  function update() { output.value = filled(); }
  inputs.forEach((input) => input.addEventListener("input", update));
  update();

  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (error) {
        // refused (page not focused, permission): fall back to selecting the text
      }
    }
    output.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function show(message, kind) {
    status.textContent = message;
    status.className = "small text-" + kind;
  }

  button.addEventListener("click", async () => {
    const copied = await copy(filled());
    if (!copied) {
      show(button.dataset.failed, "danger");
      return;
    }
    const empty = inputs.some((input) => !input.value);
    show(empty ? button.dataset.missing : button.dataset.copied, empty ? "warning" : "success");
    if (button.dataset.useUrl) {
      const token = document.querySelector("#csrf-holder input[name=csrfmiddlewaretoken]").value;
      fetch(button.dataset.useUrl, { method: "POST", headers: { "X-CSRFToken": token }, credentials: "same-origin" })
        .then((response) => { if (!response.ok) show(button.dataset.notCounted, "warning"); })
        .catch(() => show(button.dataset.notCounted, "warning"));
    }
  });
})();
