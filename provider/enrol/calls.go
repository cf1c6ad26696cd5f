package enrol

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	oidcp "github.com/passbridge/passbridge/provider/oidc"
)

type transactionRequest struct {
	Token string `json:"token"`
}

// transactionResponse is the ceremony the page runs through the Flex
// client API: a registration of transaction_id in app app_id.
type transactionResponse struct {
	AppID         string `json:"app_id"`
	TransactionID string `json:"transaction_id"`
}

// transaction answers POST /enrol/transaction {"token"}: a register
// transaction for the link's user, bound to the link. A page open in two
// tabs gets one each; the first registration to finish spends the link.
func (h *Handler) transaction(c *gin.Context) error {
	var req transactionRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.Token == "" {
		return httpapi.BadRequest("token is required")
	}
	ctx := c.Request.Context()
	en, err := h.ceremony.OpenEnrolmentLink(ctx, req.Token)
	if err != nil {
		return err
	}
	if !h.fits(en) {
		return errMisconfigured.httpError()
	}
	t, err := h.ceremony.BeginEnrolment(ctx, en)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, transactionResponse{AppID: en.App.ID, TransactionID: t.ID})
	return nil
}

type completeRequest struct {
	Token string `json:"token"`
	Nonce string `json:"nonce"`
}

// completeResponse says where the browser goes next: the account page.
type completeResponse struct {
	Redirect string `json:"redirect"`
}

// complete answers POST /enrol/complete {"token", "nonce"}: the nonce of
// the registration that used the link signs the browser in to the app, as
// the account page's sign-in does (a session cookie), and the answer names
// the account page, where the page's script sends the browser. It is a
// same-origin JSON call, not a form post: the page's Referrer-Policy
// (no-referrer) makes a browser send "Origin: null" with a form, and the
// Origin check is what keeps another site from signing this browser in to
// an account of its choosing.
func (h *Handler) complete(c *gin.Context) error {
	var req completeRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.Token == "" || req.Nonce == "" {
		return httpapi.BadRequest("token and nonce are required")
	}
	ctx := c.Request.Context()
	en, n, err := h.ceremony.CompleteEnrolment(ctx, req.Token, req.Nonce)
	if errors.Is(err, ceremony.ErrInvalidNonce) {
		return errIncomplete
	}
	if err != nil {
		return err
	}
	proof := oidcp.Proof{UserID: n.UserID, Subject: n.ExternalID, DeviceID: n.DeviceID,
		UserVerified: n.UserVerified, BackupEligible: n.BackupEligible}
	if err := h.provider.NewSession(ctx, c.Writer, c.Request, en.App.ID, proof); err != nil {
		return err
	}
	h.log.InfoContext(ctx, "enrol: passkey created and signed in", "app_id", en.App.ID, "user_id", en.User.ID,
		"device_id", n.DeviceID, "enrolment_link_id", en.Link.ID)
	c.JSON(http.StatusOK, completeResponse{Redirect: h.accountURL(en.App.ID)})
	return nil
}
