// Ask the server for the recommendation that fits the answers typed so far.
(function () {
  const panel = document.getElementById("recommendation");
  const form = document.getElementById("usecase-form");
  if (!panel || !form) return;
  let pending = null;
  function refresh() {
    const params = new URLSearchParams(new FormData(form));
    params.delete("csrfmiddlewaretoken");
    fetch(panel.dataset.url + "?" + params.toString(), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : null))
      .then((html) => {
        if (html === null) return;
        const body = document.getElementById("recommendation-body");
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const fresh = holder.querySelector("#recommendation-body");
        if (body && fresh) body.replaceWith(fresh);
      })
      .catch(() => {});
  }
  form.addEventListener("change", () => {
    clearTimeout(pending);
    pending = setTimeout(refresh, 150);
  });
})();
