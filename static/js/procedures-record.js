// The record form: show the complication rows only when "Yes, listed below" is chosen.
// Without JavaScript every row stays visible and the server checks the answer.
document.addEventListener("DOMContentLoaded", () => {
  const rows = document.querySelector("[data-complications]");
  const choices = document.querySelectorAll("input[name='had_complications']");
  if (!rows || choices.length === 0) return;
  const update = () => {
    const listed = document.querySelector("input[name='had_complications']:checked");
    rows.hidden = !listed || listed.value !== "yes";
  };
  for (const choice of choices) choice.addEventListener("change", update);
  update();
});
