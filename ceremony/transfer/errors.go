package transfer

import (
	"fmt"

	"github.com/passbridge/passbridge/ceremony"
)

// Codes of the errors that refuse an import as a whole, before it changes
// anything. Per-line refusals are not errors: they are listed in the
// Summary.
const (
	// CodeInvalidImport: the input is not an export this package reads (a
	// header of another format or version, a header that does not parse).
	// The REST API answers it 400.
	CodeInvalidImport = ceremony.CodeInvalidRequest
	// CodeRPIDMismatch: the export's passkeys belong to another RP ID than
	// the app's, so none of them could sign in. The REST API answers it 422.
	CodeRPIDMismatch = "rp_id_mismatch"
)

// ErrRPIDMismatch matches (errors.Is) the refusal of an export of another
// RP ID.
var ErrRPIDMismatch = &ceremony.Error{Code: CodeRPIDMismatch, Message: "the export is of another RP ID"}

func invalidImport(format string, args ...any) *ceremony.Error {
	return &ceremony.Error{Code: CodeInvalidImport, Message: fmt.Sprintf(format, args...)}
}

func rpIDMismatch(exported, app string) *ceremony.Error {
	return &ceremony.Error{Code: CodeRPIDMismatch, Message: fmt.Sprintf(
		"the export's passkeys were made for RP ID %q and this app's RP ID is %q: a passkey works only "+
			"with the RP ID it was created for, so none of them could sign in here; import into an app "+
			"whose RP ID is %q", exported, app, exported)}
}
