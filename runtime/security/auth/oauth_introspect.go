package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Bounds of token introspection.
const (
	// MaxIntrospectionBytes caps an introspection answer.
	MaxIntrospectionBytes = 64 << 10
	// maxIntrospectionCache caps the answers kept; maxIntrospecting the
	// introspection requests in flight, so a flood of made-up tokens
	// cannot open unbounded connections to the authorization server.
	maxIntrospectionCache = 10_000
	maxIntrospecting      = 16
	introspectionTimeout  = 10 * time.Second
)

const errNoIntrospection = "the authorization server's introspection endpoint (OAUTH_INTROSPECTION_URL) did not answer"

// introspector checks opaque access tokens by asking the authorization
// server (RFC 7662), authenticated with the server's client credentials,
// and keeps each answer for a while, by a digest of the token (never the
// token itself).
type introspector struct {
	cfg *OAuthConfig
	now func() time.Time
	o   *oauthState
	sem chan struct{}

	mu    sync.Mutex
	cache map[[sha256.Size]byte]introspected
}

// introspected is a kept answer: the grant, or why the token is refused.
type introspected struct {
	grant  *grant
	reason string
	until  time.Time
}

// introspection is the part of an introspection answer the server reads.
type introspection struct {
	Active    bool             `json:"active"`
	Scope     any              `json:"scope"`
	ClientID  string           `json:"client_id"`
	Subject   string           `json:"sub"`
	Issuer    string           `json:"iss"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	TokenType string           `json:"token_type"`
}

func newIntrospector(o *oauthState, now func() time.Time) *introspector {
	return &introspector{
		cfg:   &o.cfg,
		now:   now,
		o:     o,
		sem:   make(chan struct{}, maxIntrospecting),
		cache: make(map[[sha256.Size]byte]introspected),
	}
}

func (in *introspector) verify(ctx context.Context, token string) (*grant, *failure) {
	digest := sha256.Sum256([]byte(token))
	now := in.now()
	in.mu.Lock()
	kept, ok := in.cache[digest]
	in.mu.Unlock()
	if ok && now.Before(kept.until) {
		return in.answer(kept)
	}
	// Wait for a free slot no longer than an introspection may take.
	wait, cancel := context.WithTimeout(ctx, introspectionTimeout)
	defer cancel()
	select {
	case in.sem <- struct{}{}:
	case <-wait.Done():
		return nil, unavailable(errNoIntrospection)
	}
	answer, err := in.ask(ctx, token)
	<-in.sem
	if err != nil {
		return nil, unavailable(errNoIntrospection)
	}
	kept = in.judge(answer, in.now())
	if in.cfg.IntrospectionCacheTTL > 0 {
		in.keep(digest, kept)
	}
	return in.answer(kept)
}

func (in *introspector) answer(k introspected) (*grant, *failure) {
	if k.grant == nil {
		return nil, in.o.failure("invalid_token", k.reason)
	}
	return k.grant, nil
}

// judge turns an answer into a grant or a refusal, and says how long it
// may be kept.
func (in *introspector) judge(a *introspection, now time.Time) introspected {
	until := now.Add(in.cfg.IntrospectionCacheTTL)
	refuse := func(reason string) introspected { return introspected{reason: reason, until: until} }
	skew := in.cfg.ClockSkew
	tokenType := strings.ToLower(a.TokenType)
	switch {
	case !a.Active:
		return refuse("the access token is not active")
	case a.Issuer != "" && a.Issuer != in.cfg.Issuer:
		return refuse("the access token was issued by another issuer")
	case !slices.Contains([]string(a.Audience), in.cfg.Audience):
		return refuse("the access token is not for this server (its aud does not hold " + in.cfg.Audience + ")")
	case strings.Contains(tokenType, "refresh"):
		return refuse("the token is a refresh token, not an access token")
	case a.Expiry != nil && !now.Before(a.Expiry.Time().Add(skew)):
		return refuse("the access token has expired")
	case a.NotBefore != nil && now.Add(skew).Before(a.NotBefore.Time()):
		return refuse("the access token is not valid yet (nbf)")
	case a.Subject == "" && a.ClientID == "":
		return refuse("the access token names no subject (sub) and no client (client_id)")
	}
	scopes, ok := scopeList(a.Scope)
	if !ok {
		return refuse("the access token's scope is neither a string nor a list of strings")
	}
	g := &grant{subject: a.Subject, client: a.ClientID, scopes: scopes}
	if g.subject == "" {
		g.subject = a.ClientID // a client acting for itself
	}
	if a.Expiry != nil {
		g.expiry = a.Expiry.Time()
		if g.expiry.Before(until) {
			until = g.expiry
		}
	}
	return introspected{grant: g, until: until}
}

// ask posts token to the introspection endpoint.
func (in *introspector) ask(ctx context.Context, token string) (*introspection, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), introspectionTimeout)
	defer cancel()
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.cfg.IntrospectionURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 §2.3.1: the credentials are form-encoded before Basic.
	req.SetBasicAuth(url.QueryEscape(in.cfg.ClientID), url.QueryEscape(in.cfg.ClientSecret))
	resp, err := in.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("introspection: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxIntrospectionBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxIntrospectionBytes {
		return nil, fmt.Errorf("introspection: answer over %d bytes", MaxIntrospectionBytes)
	}
	var a introspection
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	return &a, nil
}

// keep remembers an answer, first dropping expired ones when the cache is
// full, then any tenth of it.
func (in *introspector) keep(digest [sha256.Size]byte, k introspected) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.cache) >= maxIntrospectionCache {
		now := in.now()
		for d, e := range in.cache {
			if !now.Before(e.until) {
				delete(in.cache, d)
			}
		}
		for d := range in.cache {
			if len(in.cache) < maxIntrospectionCache*9/10 {
				break
			}
			delete(in.cache, d)
		}
	}
	in.cache[digest] = k
}
