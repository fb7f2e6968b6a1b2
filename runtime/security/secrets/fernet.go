package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Key is a Fernet key: a 128-bit HMAC-SHA256 signing key and a 128-bit
// AES-CBC encryption key. Tokens it makes are readable by Python's
// cryptography.fernet.Fernet with the same key, and the other way round.
// Formatting a Key with fmt prints no key material.
type Key struct {
	sign, enc [16]byte
}

// ErrInvalidToken is wrapped by every error Key.Decrypt returns; the error's
// text says why the token was refused.
var ErrInvalidToken = errors.New("invalid Fernet token")

const (
	version   = 0x80
	headerLen = 1 + 8 + 16 // version, timestamp, IV
	macLen    = sha256.Size
	maxFuture = 60 // seconds a token's timestamp may be ahead of the clock, as in Python
)

var b64 = base64.URLEncoding.Strict()

// NewKey returns a random key from crypto/rand.
func NewKey() *Key {
	var k Key
	rand.Read(k.sign[:])
	rand.Read(k.enc[:])
	return &k
}

// ParseKey decodes a key in the Fernet format: 32 bytes in URL-safe base64
// with padding (44 characters), as Python's Fernet.generate_key makes.
// Surrounding white space is ignored.
func ParseKey(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	b, err := b64.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, errors.New("not a Fernet key (32 bytes in URL-safe base64, 44 characters)")
	}
	var k Key
	copy(k.sign[:], b[:16])
	copy(k.enc[:], b[16:])
	return &k, nil
}

// Encode returns the key in the Fernet format that ParseKey reads.
func (k *Key) Encode() string {
	var b [32]byte
	copy(b[:16], k.sign[:])
	copy(b[16:], k.enc[:])
	return b64.EncodeToString(b[:])
}

// Format prints a placeholder instead of the key, whatever the verb.
func (Key) Format(f fmt.State, _ rune) { f.Write([]byte("secrets.Key([REDACTED])")) }

// Encrypt returns a Fernet token holding plaintext, stamped with the current
// time and a random IV.
func (k *Key) Encrypt(plaintext []byte) string {
	var iv [16]byte
	rand.Read(iv[:])
	return k.encryptAt(plaintext, time.Now(), iv)
}

func (k *Key) encryptAt(plaintext []byte, now time.Time, iv [16]byte) string {
	pad := 16 - len(plaintext)%16
	b := make([]byte, headerLen, headerLen+len(plaintext)+pad+macLen)
	b[0] = version
	binary.BigEndian.PutUint64(b[1:9], uint64(now.Unix()))
	copy(b[9:25], iv[:])
	b = append(b, plaintext...)
	for range pad {
		b = append(b, byte(pad))
	}
	block, _ := aes.NewCipher(k.enc[:]) // a 16-byte key cannot fail
	cipher.NewCBCEncrypter(block, iv[:]).CryptBlocks(b[headerLen:], b[headerLen:])
	mac := hmac.New(sha256.New, k.sign[:])
	mac.Write(b)
	return b64.EncodeToString(mac.Sum(b))
}

// Decrypt verifies token and returns the plaintext it holds. A ttl above zero
// also refuses tokens older than ttl, or stamped more than 60 seconds in the
// future; zero accepts tokens of any age. Errors wrap ErrInvalidToken.
func (k *Key) Decrypt(token string, ttl time.Duration) ([]byte, error) {
	return k.decryptAt(token, ttl, time.Now())
}

func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalidToken, reason) }

func (k *Key) decryptAt(token string, ttl time.Duration, now time.Time) ([]byte, error) {
	b, err := b64.DecodeString(token)
	if err != nil {
		return nil, invalid("not URL-safe base64")
	}
	if len(b) < 1 || b[0] != version {
		return nil, invalid("unknown version")
	}
	if len(b) < headerLen+aes.BlockSize+macLen || (len(b)-headerLen-macLen)%aes.BlockSize != 0 {
		return nil, invalid("wrong length")
	}
	if ttl > 0 {
		ts := int64(binary.BigEndian.Uint64(b[1:9]))
		if ts+int64(ttl/time.Second) < now.Unix() {
			return nil, invalid("expired")
		}
		if ts > now.Unix()+maxFuture {
			return nil, invalid("timestamp is in the future")
		}
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	mac := hmac.New(sha256.New, k.sign[:])
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sum) {
		return nil, invalid("signature does not match (wrong key, or the token was altered)")
	}
	block, _ := aes.NewCipher(k.enc[:])
	out := make([]byte, len(body)-headerLen)
	cipher.NewCBCDecrypter(block, body[9:25]).CryptBlocks(out, body[headerLen:])
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, invalid("bad padding")
	}
	for _, c := range out[len(out)-pad:] {
		if int(c) != pad {
			return nil, invalid("bad padding")
		}
	}
	return out[:len(out)-pad], nil
}
