// Package secrets reads the secrets a server needs at start-up, and makes
// new ones.
//
// Every function that reads configuration takes getenv (os.Getenv in a
// server, a map in a test) and fails with MCP-011 (MISSING_CONFIGURATION),
// saying which variable or file is wrong and never what it holds. Nothing
// falls back to a default secret, and no key file is ever created as a side
// effect: only GenerateKeyFile creates one.
//
// Encrypted values are Fernet tokens, so values encrypted with Python's
// cryptography.fernet (as the seed's SecureConfig does) decrypt unchanged.
package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// The environment variables that locate the encryption key.
const (
	// EnvEncryptionKey holds the Fernet key itself.
	EnvEncryptionKey = "MCP_ENCRYPTION_KEY"
	// EnvEncryptionKeyFile holds the path of a file holding the key, which
	// must not be readable or writable by group or others.
	EnvEncryptionKeyFile = "MCP_ENCRYPTION_KEY_FILE"
)

// DefaultTokenBytes is the entropy NewToken callers should use unless they
// have a reason not to: 256 bits, as Python's secrets.token_urlsafe.
const DefaultTokenBytes = 32

// maxKeyFileBytes bounds what ReadKeyFile reads; a key is 44 characters.
const maxKeyFileBytes = 1024

func missing(format string, args ...any) error {
	return mcperr.Errorf(mcperr.CodeMissingConfiguration, format, args...)
}

// Require returns the value of the environment variable name, or an MCP-011
// error "required secret NAME is not set" when it is unset or empty.
func Require(getenv func(string) string, name string) (string, error) {
	v := getenv(name)
	if v == "" {
		return "", missing("required secret %s is not set", name)
	}
	return v, nil
}

// Decrypt returns the plaintext of the Fernet token in the environment
// variable name (by convention ENCRYPTED_something), decrypted with the key
// LoadKey finds. Tokens of any age are accepted.
func Decrypt(getenv func(string) string, name string) (string, error) {
	token, err := Require(getenv, name)
	if err != nil {
		return "", err
	}
	key, err := LoadKey(getenv)
	if err != nil {
		return "", err
	}
	plaintext, err := key.Decrypt(token, 0)
	if err != nil {
		return "", missing("secret %s could not be decrypted: %s", name, err)
	}
	return string(plaintext), nil
}

// LoadKey returns the encryption key from MCP_ENCRYPTION_KEY, or from the
// file named by MCP_ENCRYPTION_KEY_FILE (see ReadKeyFile). Setting both, or
// neither, is an error.
func LoadKey(getenv func(string) string) (*Key, error) {
	inline, file := getenv(EnvEncryptionKey), getenv(EnvEncryptionKeyFile)
	switch {
	case inline != "" && file != "":
		return nil, missing("set only one of %s and %s", EnvEncryptionKey, EnvEncryptionKeyFile)
	case inline != "":
		k, err := ParseKey(inline)
		if err != nil {
			return nil, missing("%s is %s", EnvEncryptionKey, err)
		}
		return k, nil
	case file != "":
		return ReadKeyFile(file)
	}
	return nil, missing("no encryption key: set %s or %s", EnvEncryptionKey, EnvEncryptionKeyFile)
}

// ReadKeyFile reads a key written by GenerateKeyFile (or by Python's
// Fernet.generate_key). The file must be a regular file that neither group
// nor others may read or write (mode 0600 or 0400): a key others can read
// protects nothing, so such a file is refused rather than used.
func ReadKeyFile(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, missing("cannot read encryption key file %s: %s", path, pathErrText(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, missing("cannot read encryption key file %s: %s", path, pathErrText(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, missing("encryption key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, missing("encryption key file %s has mode %04o; it must be readable by its owner only (chmod 600 %s)", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, missing("cannot read encryption key file %s: %s", path, pathErrText(err))
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, missing("encryption key file %s does not hold a Fernet key (32 bytes in URL-safe base64, 44 characters)", path)
	}
	return k, nil
}

// pathErrText returns the reason of an *fs.PathError without the path, which
// the caller's message already names.
func pathErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// GenerateKeyFile creates path with mode 0600 holding a new random key, and
// returns the key. It never replaces a file: if path exists it fails, since
// values encrypted with the old key would no longer decrypt.
func GenerateKeyFile(path string) (*Key, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("encryption key file %s already exists; it is never replaced, since values encrypted with it would no longer decrypt", path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create encryption key file %s: %s", path, pathErrText(err))
	}
	k := NewKey()
	_, err = io.WriteString(f, k.Encode()+"\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("cannot write encryption key file %s: %s", path, pathErrText(err))
	}
	return k, nil
}

// NewToken returns nbytes from crypto/rand in URL-safe base64 without
// padding, like Python's secrets.token_urlsafe: a bearer token or an HMAC
// secret. It panics when nbytes is below 16 (128 bits), which no secret
// should have less of.
func NewToken(nbytes int) string {
	if nbytes < 16 {
		panic("secrets: NewToken needs at least 16 bytes")
	}
	b := make([]byte, nbytes)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
