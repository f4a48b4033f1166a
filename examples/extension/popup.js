// The popup talks to the service worker by messages only: the worker owns
// the client, the popup shows what it answers.
const $ = (id) => document.getElementById(id);
const send = (message) => chrome.runtime.sendMessage(message);
const show = (value) => ($("out").textContent = JSON.stringify(value, null, 2));

$("call").addEventListener("click", async () => show(await send({ cmd: "call", path: $("path").value })));
$("health").addEventListener("click", async () => {
  const { health, worker } = await send({ cmd: "health" });
  show({ circuit: health.circuit, circuitOpenUntil: health.circuitOpenUntil, limiter: health.limiter, worker });
});
$("save").addEventListener("click", async () => {
  const { config = {} } = await chrome.storage.local.get("config");
  show(await send({ cmd: "configure", config: { ...config, baseUrl: $("baseUrl").value } }));
});
chrome.storage.local.get("config").then(({ config }) => {
  if (config?.baseUrl) $("baseUrl").value = config.baseUrl;
});
