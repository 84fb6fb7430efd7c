// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the error summary so keyboard and screen-reader users hear what to fix.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
document.addEventListener("htmx:afterSwap", (event) => {
  const summary = event.detail.target.querySelector("#error-summary");
  if (summary) summary.focus();
});
