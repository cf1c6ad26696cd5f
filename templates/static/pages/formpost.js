// The form_post response (OAuth 2.0 Form Post Response Mode): the page's
// form carries the answer to the client; it is submitted at once. The
// Continue button stays for a browser that runs no script or a submission
// that did not go.
const form = document.getElementById("form-post-form");
if (form) {
  form.submit();
}
