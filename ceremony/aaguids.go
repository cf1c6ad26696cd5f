package ceremony

import "github.com/passbridge/passbridge/ceremony/aaguid"

// AAGUIDs is the registry of authenticator models the service names
// devices with, for what names devices outside a ceremony (an import).
func (s *Service) AAGUIDs() *aaguid.Registry { return s.aaguids }
