// Site-wide behaviour kept out of the HTML so the Content Security Policy can forbid inline code.
"use strict";
(function () {
  const languageSelect = document.getElementById("language-select");
  if (languageSelect) {
    languageSelect.addEventListener("change", () => languageSelect.form.submit());
  }
})();
