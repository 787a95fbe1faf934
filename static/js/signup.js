// Sign-up: preselect the browser's own time zone when the server offers it, unless the
// form comes back with the player's choice (a refused submission keeps what they picked).
const select = document.getElementById("id_timezone");
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const untouched = select && select.value === "UTC" && !document.querySelector(".errorlist");
if (untouched && zone && [...select.options].some((option) => option.value === zone)) {
  select.value = zone;
}
