package secrets

// Additional authenticated data for each sealed value, binding it to its org
// (or run) and field: a ciphertext copied to another org or field does not open.

// PasswordAAD binds an org's sealed Justworks password.
func PasswordAAD(org string) string { return "org:" + org + ":password" }

// TOTPSecretAAD binds an org's sealed 2FA setup key.
func TOTPSecretAAD(org string) string { return "org:" + org + ":totp_secret" }

// SessionAAD binds a run's sealed Justworks access token.
func SessionAAD(run string) string { return "run:" + run + ":justworks_token" }
