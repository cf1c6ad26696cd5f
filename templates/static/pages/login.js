// The sign-in page: runs a passkey ceremony through the Flex client API with
// the browser SDK, then posts the nonce to /login/complete.
import { PassageFlex } from "../../sdk/flex.js";

const main = document.getElementById("login");
const { authRequestId, appId, issuer } = main.dataset;
const message = document.getElementById("message");

async function signIn() {
  const info = await fetch(`${issuer}/login/ceremony?auth_request_id=${encodeURIComponent(authRequestId)}`, {
    headers: { Accept: "application/json" },
  }).then((r) => r.json());
  if (info.code) throw new Error(info.error);
  const flex = new PassageFlex(info.app_id, { baseUrl: issuer });
  const nonce = await flex.passkey.authenticate(info.transaction_id ? { transactionId: info.transaction_id } : {});
  document.getElementById("nonce").value = nonce;
  document.getElementById("complete").submit();
}

document.getElementById("passkey").addEventListener("click", () => {
  message.textContent = "";
  signIn().catch((e) => { message.textContent = e.message || String(e); });
});
void appId;
