package storagetest

import (
	"math"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// The builders below return values with every field set to data that is not
// the zero value, in a zone that is not UTC and with nanoseconds, so a round
// trip proves each column is written and read back. Strings carry commas,
// quotes and non-ASCII letters so a store that joins lists or escapes badly
// shows it. Random parts keep values unique, so a test may build many.

func newApp() storage.App {
	return storage.App{
		ID:               storage.NewID(),
		Name:             `Zoë's "Shop", EU`,
		RPID:             "shop.example",
		RPName:           "Shop, Inc.",
		Origins:          []string{"https://shop.example", "https://login.shop.example:8443"},
		UserVerification: storage.RequirementRequired,
		Attestation:      "direct",
		ResidentKey:      storage.RequirementRequired,
		AllowSignup:      true,
		SignCountPolicy:  storage.SignCountAllow,
		TransactionTTL:   301 * time.Second,
		CeremonyTimeout:  121 * time.Second,
		NonceTTL:         299 * time.Second,
		LogoURL:          "https://shop.example/logo.svg?v=1,2",
		AccentColor:      "#0a7cff",
		CreatedAt:        odd(-48 * time.Hour),
		UpdatedAt:        odd(-47 * time.Hour),
	}
}

func newAPIKey(appID string) storage.APIKey {
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	return storage.APIKey{
		ID:         storage.NewID(),
		AppID:      appID,
		Name:       "deploy, ünïcode",
		Prefix:     prefix,
		Hash:       storage.HashSecret(secret),
		CreatedAt:  odd(-24 * time.Hour),
		LastUsedAt: odd(-time.Hour),
	}
}

func newUser(appID string) storage.User {
	return storage.User{
		ID:          storage.NewID(),
		AppID:       appID,
		ExternalID:  "ext|" + storage.NewID() + "@example.com",
		Handle:      append([]byte{0, 0xff}, storage.RandomBytes(62)...),
		DisplayName: `Zoë O'Brien, "QA"`,
		Status:      storage.UserInactive,
		LoginCount:  math.MaxInt32 + 7,
		CreatedAt:   odd(-20 * time.Hour),
		UpdatedAt:   odd(-19 * time.Hour),
		LastLoginAt: odd(-18 * time.Hour),
	}
}

func newDevice(appID, userID string) storage.Device {
	return storage.Device{
		ID:                storage.NewID(),
		AppID:             appID,
		UserID:            userID,
		CredentialID:      append([]byte{0}, storage.RandomBytes(47)...),
		PublicKey:         append([]byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x00}, storage.RandomBytes(64)...),
		AttestationType:   "basic_full",
		AttestationFormat: "packed",
		Attestation:       []byte(`{"fmt":"packed","x5c":["MIIB…"],"note":"a, \"quoted\" value"}`),
		AAGUID:            []byte{0xfb, 0xfc, 0x30, 0x07, 0x15, 0x4e, 0x4e, 0xcc, 0x8c, 0x0b, 0x6e, 0x02, 0x05, 0x57, 0xd7, 0xbd},
		Transports:        []string{"usb", "nfc", "hybrid"},
		SignCount:         math.MaxUint32 - 2,
		CloneWarning:      true,
		UserVerified:      true,
		BackupEligible:    true,
		BackedUp:          true,
		Attachment:        "cross-platform",
		FriendlyName:      `YubiKey 5 "blue", Zoë's`,
		Type:              storage.DeviceTypeSecurityKey,
		UsageCount:        math.MaxInt32 + 11,
		CreatedAt:         odd(-10 * time.Hour),
		UpdatedAt:         odd(-9 * time.Hour),
		LastLoginAt:       odd(-8 * time.Hour),
	}
}

func newTransaction(appID, userID string) storage.Transaction {
	return storage.Transaction{
		ID:          storage.NewID(),
		AppID:       appID,
		Kind:        storage.KindRegister,
		UserID:      userID,
		ExternalID:  "ext|" + storage.NewID(),
		DisplayName: "zoë@example.com, work",
		State:       storage.TransactionCompleted,
		CreatedAt:   odd(-time.Minute),
		ExpiresAt:   odd(time.Hour),
		CompletedAt: odd(-30 * time.Second),
	}
}

func newHandshake(appID, transactionID, userID string) storage.Handshake {
	return storage.Handshake{
		ID:            storage.NewID(),
		AppID:         appID,
		Flow:          storage.FlowFlex,
		Kind:          storage.KindAuthenticate,
		TransactionID: transactionID,
		UserID:        userID,
		Challenge:     "ch_" + storage.NewID() + "-_x",
		Session:       []byte(`{"challenge":"abc","user_id":"AP8","allowed_credentials":["AQID"],"expires":"2031-03-14T15:11:26Z"}`),
		Attachment:    "platform",
		CreatedAt:     odd(-time.Minute),
		ExpiresAt:     odd(time.Hour),
	}
}

func newNonce(appID, userID, deviceID string) storage.Nonce {
	return storage.Nonce{
		Hash:           storage.HashSecret(storage.NewID()),
		AppID:          appID,
		UserID:         userID,
		ExternalID:     "ext|" + storage.NewID(),
		DeviceID:       deviceID,
		Kind:           storage.KindAuthenticate,
		UserVerified:   true,
		BackupEligible: true,
		BackedUp:       true,
		CreatedAt:      odd(-time.Minute),
		ExpiresAt:      odd(time.Hour),
	}
}

func newClient(appID string) storage.Client {
	secret, _ := storage.NewSecret(storage.PrefixClientSecret)
	return storage.Client{
		ID:                     "client-" + storage.NewID(),
		AppID:                  appID,
		Name:                   `Wiki, "internal" – Zoë`,
		SecretHash:             storage.HashSecret(secret),
		SecretSealed:           []byte("sealed, opaque to the store"),
		AuthMethod:             storage.AuthMethodPost,
		RedirectURIs:           []string{"https://rp.example/cb?a=1,2&b=%22x%22", "http://127.0.0.1:9000/callback"},
		PostLogoutRedirectURIs: []string{"https://rp.example/bye", "https://rp.example/logged-out?x=1,2"},
		JWKS:                   []byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`),
		JWKSURI:                "https://rp.example/jwks.json",
		AccessTokenType:        "jwt",
		Scopes:                 []string{"profile", "email", "offline_access", "api:read, write"},
		IDTokenLifetime:        59 * time.Minute,
		AccessTokenLifetime:    31 * time.Minute,
		RefreshTokenLifetime:   29 * 24 * time.Hour,
		RequireACR:             "phrh",
		RequireUV:              true,
		Implicit:               true,
		HintIssuer:             "https://login.microsoftonline.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0",
		HintJWKSURI:            "https://login.microsoftonline.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/discovery/v2.0/keys",
		HintJWKS:               []byte(`{"keys":[{"kty":"RSA","kid":"C2dE3fH4iJ5kL6mN7oP8qR9sT0uV1w","n":"sXch","e":"AQAB"}]}`),
		HintAudience:           "00001111-aaaa-2222-bbbb-3333cccc4444",
		HintTenant:             "aaaabbbb-0000-cccc-1111-dddd2222eeee",
		HintUserClaim:          "oid",
		HintEnrol:              true,
		CreatedAt:              odd(-30 * time.Hour),
		UpdatedAt:              odd(-29 * time.Hour),
	}
}

// newAuthRequest returns a request that is already done (the user has
// authenticated), so every field is set. userID, deviceID and sessionID must
// name existing rows.
func newAuthRequest(appID, clientID, userID, deviceID, sessionID string) storage.AuthRequest {
	maxAge := int64(math.MaxInt32 + 3)
	return storage.AuthRequest{
		ID:                  storage.NewID(),
		AppID:               appID,
		ClientID:            clientID,
		RedirectURI:         "https://rp.example/cb?a=1,2",
		Scopes:              []string{"openid", "profile", "offline_access"},
		State:               "st, \"ate\" ü",
		Nonce:               "n-0S6_WzA2Mj",
		ResponseType:        "code",
		ResponseMode:        "form_post",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		Prompt:              []string{"login", "consent"},
		MaxAge:              &maxAge,
		LoginHint:           "zoë@example.com",
		ACRValues:           []string{"phrh", "phr"},
		UILocales:           []string{"de-CH", "fr"},
		HintSubject:         "ext|hinted",
		Enroll:              true,
		BrowserBinding:      storage.HashSecret(storage.NewID()),
		Done:                true,
		UserID:              userID,
		Subject:             "ext|subject",
		DeviceID:            deviceID,
		SessionID:           sessionID,
		AuthTime:            odd(-2 * time.Minute),
		AMR:                 []string{"hwk", "user", "mfa"},
		ACR:                 "phrh",
		CreatedAt:           odd(-3 * time.Minute),
		ExpiresAt:           odd(time.Hour),
	}
}

func newAuthCode(authRequestID string) storage.AuthCode {
	return storage.AuthCode{
		Hash:          storage.HashSecret(storage.NewID()),
		AuthRequestID: authRequestID,
		CreatedAt:     odd(-time.Minute),
		ExpiresAt:     odd(time.Hour),
	}
}

// newAccessToken's ids must name existing rows; refreshTokenID may be empty.
func newAccessToken(appID, clientID, userID, sessionID, deviceID, refreshTokenID string) storage.AccessToken {
	return storage.AccessToken{
		ID:             storage.NewID(),
		AppID:          appID,
		ClientID:       clientID,
		UserID:         userID,
		Subject:        "ext|subject",
		Scopes:         []string{"openid", "email", "offline_access"},
		Audience:       []string{clientID, "https://api.example, v2"},
		SessionID:      sessionID,
		DeviceID:       deviceID,
		RefreshTokenID: refreshTokenID,
		GrantID:        "grant-" + storage.NewID(),
		CreatedAt:      odd(-time.Minute),
		ExpiresAt:      odd(time.Hour),
	}
}

func newRefreshToken(appID, clientID, userID, sessionID, deviceID string) storage.RefreshToken {
	return storage.RefreshToken{
		ID:        storage.NewID(),
		Hash:      storage.HashSecret(storage.NewID()),
		AppID:     appID,
		ClientID:  clientID,
		UserID:    userID,
		Subject:   "ext|subject",
		Scopes:    []string{"openid", "offline_access"},
		Audience:  []string{clientID},
		SessionID: sessionID,
		DeviceID:  deviceID,
		AuthTime:  odd(-5 * time.Minute),
		AMR:       []string{"swk", "user", "mfa"},
		ACR:       "phr",
		GrantID:   "grant-" + storage.NewID(),
		CreatedAt: odd(-time.Minute),
		ExpiresAt: odd(time.Hour),
	}
}

func newSession(appID, userID, deviceID string) storage.Session {
	return storage.Session{
		ID:         storage.NewID(),
		AppID:      appID,
		UserID:     userID,
		Subject:    "ext|subject",
		Hash:       storage.HashSecret(storage.NewID()),
		DeviceID:   deviceID,
		AuthTime:   odd(-7 * time.Minute),
		AMR:        []string{"hwk", "user"},
		ACR:        "phrh",
		CreatedAt:  odd(-7 * time.Minute),
		LastSeenAt: odd(-time.Minute),
		ExpiresAt:  odd(time.Hour),
	}
}

// newSigningKey returns a retired key, the only state with every time set.
func newSigningKey() storage.SigningKey {
	return storage.SigningKey{
		ID:          "kid-" + storage.NewID(),
		Algorithm:   "ES256",
		PrivateKey:  append([]byte{0}, storage.RandomBytes(120)...),
		PublicKey:   append([]byte{0x30, 0x59}, storage.RandomBytes(89)...),
		State:       storage.KeyRetired,
		CreatedAt:   odd(-72 * time.Hour),
		ActivatedAt: odd(-71 * time.Hour),
		RetiredAt:   odd(-time.Hour),
		ExpiresAt:   odd(time.Hour),
	}
}

func newAuditEvent(appID, userID, deviceID string) storage.AuditEvent {
	return storage.AuditEvent{
		ID:       storage.NewID(),
		AppID:    appID,
		Type:     "device.registered",
		Actor:    "api_key:" + storage.NewID(),
		UserID:   userID,
		DeviceID: deviceID,
		Detail: map[string]string{
			"ip":    "203.0.113.7",
			"name":  `Zoë's key, "blue"`,
			"empty": "",
		},
		CreatedAt: odd(-time.Minute),
	}
}
