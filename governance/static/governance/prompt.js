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
      await navigator.clipboard.writeText(text);
      return;
    }
    output.select();  // older browsers, plain http: select and copy
    document.execCommand("copy");
  }

  button.addEventListener("click", async () => {
    const text = filled();
    await copy(text);
    const empty = inputs.some((input) => !input.value);
    status.textContent = empty ? button.dataset.missing : button.dataset.copied;
    status.className = "small " + (empty ? "text-warning" : "text-success");
    if (button.dataset.useUrl) {
      const token = document.querySelector("#csrf-holder input[name=csrfmiddlewaretoken]").value;
      fetch(button.dataset.useUrl, { method: "POST", headers: { "X-CSRFToken": token }, credentials: "same-origin" });
    }
  });
})();
